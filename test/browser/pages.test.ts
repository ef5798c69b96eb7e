// Every page sftgoc writes, opened in a real browser (Debian's chromium, headless), when one is
// installed: report.html of a tiny run, the groups heat-map, compare.html and sweep.svg. A script
// added to a copy of each page records load errors and every <svg>'s bounding box; the DOM chromium
// dumps after loading carries the result. A page fails on any error or an SVG with an empty box.
// scripts/screenshots.sh makes PNGs of the same pages for a person to look at.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aggregate, type CompareRun } from '../../src/compare/aggregate.js';
import { compareHtml } from '../../src/compare/figure.js';
import { rankPoints, type SweepRun } from '../../src/sweep/index.js';
import { sweepSvg } from '../../src/sweep/report.js';
import { runCli } from '../cli/helpers/cli.js';
import { repoRoot } from '../helpers/golden.js';

const CHROMIUM = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0);

const PROBE_HEAD = `<script>window.__errors=[];window.addEventListener('error',function(e){window.__errors.push(String(e.message||(e.target&&e.target.src)||'error'))},true);</script>`;
const PROBE_TAIL = `<script>(function(){var boxes=[].slice.call(document.querySelectorAll('svg')).filter(function(s){return !s.parentElement.closest('svg')}).map(function(s){var b=s.getBBox();return Math.round(b.width)+'x'+Math.round(b.height)});document.body.setAttribute('data-probe',JSON.stringify({errors:window.__errors,boxes:boxes}))})();</script>`;

/** Loads `html` (a page, or an SVG wrapped in one) in headless chromium; its errors and SVG boxes. */
function probe(html: string, dir: string, name: string): { errors: string[]; boxes: string[] } {
  const page = html.startsWith('<svg') ? `<!doctype html><html><head></head><body>${html}</body></html>` : html;
  const withProbe = page.replace(/<head>/i, `<head>${PROBE_HEAD}`).replace(/<\/body>/i, `${PROBE_TAIL}</body>`);
  const file = join(dir, `${name}.html`);
  writeFileSync(file, withProbe);
  const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  const m = /data-probe="([^"]*)"/.exec(r.stdout);
  assert.ok(m, `${name}: chromium gave no probe result (exit ${r.status}): ${r.stderr.slice(-300)}`);
  return JSON.parse(m[1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as { errors: string[]; boxes: string[] };
}

function check(name: string, result: { errors: string[]; boxes: string[] }, minSvgs: number): void {
  assert.deepEqual(result.errors, [], `${name}: errors while loading`);
  assert.ok(result.boxes.length >= minSvgs, `${name}: ${result.boxes.length} SVGs, expected at least ${minSvgs}`);
  for (const b of result.boxes) {
    const [w, h] = b.split('x').map(Number);
    assert.ok(w! > 0 && h! > 0, `${name}: an SVG with an empty bounding box (${b})`);
  }
}

describe('pages in a real browser (headless chromium)', function () {
  this.timeout(180_000);
  let dir: string;
  before(function () {
    if (CHROMIUM === undefined) {
      console.log('      browser tests skipped: no chromium (apt-get install chromium)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-pages-'));
  });
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('report.html of a tiny run, and the groups heat-map', () => {
    const data = (name: string, n: number) => {
      const path = join(dir, name);
      writeFileSync(path, readFileSync(join(repoRoot, 'assets', 'default', 'data', name), 'utf8').split('\n').slice(0, n).join('\n') + '\n');
      return path;
    };
    const run = join(dir, 'run');
    const trained = runCli(['run', join(repoRoot, 'stdlib', 'sftgo.sftgo'), '--quiet', '--set', `train.out="${run}"`, '--set', 'train.steps=4', '--set', 'train.batch=4',
      '--set', 'train.eval_every=2', '--set', `data.train="${data('train.jsonl', 24)}"`, '--set', `data.eval="${data('eval.jsonl', 8)}"`]);
    assert.equal(trained.status, 0, trained.stderr);
    assert.equal(runCli(['report', run]).status, 0);
    check('report.html', probe(readFileSync(join(run, 'report.html'), 'utf8'), dir, 'report'), 4);
    const groups = join(dir, 'groups.html');
    assert.equal(runCli(['groups', join(repoRoot, 'stdlib', 'sftgo.sftgo'), '--limit', '2', '--format', 'html', '--out', groups]).status, 0);
    check('groups.html', probe(readFileSync(groups, 'utf8'), dir, 'groups'), 0);
  });

  it('compare.html and sweep.svg', () => {
    const runs: CompareRun[] = [1, 2, 3].flatMap((seed) => ['sft', 'sftgo'].map((objective, i) => ({
      objective, file: `${objective}.sftgo`, seed, runDir: `r/${objective}/${seed}`,
      eval: { ce: 2 + i / 3 + seed / 50, loss: 2, groups: { rest: { loss: 2 + seed / 40, tokens: 9 } }, groupings: { sftgo: { important: { loss: 3 - i / 5, tokens: 4 }, rest: { loss: 2, tokens: 9 } } }, answers: { contains: 0.1 * seed, facts: 0.05 } },
    })));
    check('compare.html', probe(compareHtml(aggregate(runs), runs, { seeds: [1, 2, 3], data: { train: 't.jsonl', eval: 'e.jsonl' } }), dir, 'compare'), 1);
    const sweepRuns: SweepRun[] = [1, 2].flatMap((seed) => ['λ=0.5', 'λ=0.9'].map((point, i) => ({ point, seed, runDir: '', ce: 2 + i / 10, worst: 3 - i / 10 + seed / 100 })));
    const rows = rankPoints(['λ=0.5', 'λ=0.9'], sweepRuns, 'worst');
    check('sweep.svg', probe(sweepSvg(rows, sweepRuns, { file: 'x.sftgo', by: 'worst', seeds: [1, 2], axes: ['λ'], fixed: [], generate: false }), dir, 'sweep'), 1);
  });
});
