// `sftgoc sweep`: the grid from the flags, the ranking, and a tiny sweep run twice (the second run
// reuses every finished run) and refused in the same directory with another grid.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferOutput } from '../../src/cli/output.js';
import { parseOverrides } from '../../src/cli/overrides.js';
import { rankPoints, splitTopLevel, sweepGrid, type SweepRun } from '../../src/sweep/index.js';
import { runSweep } from '../../src/app/sweep.js';
import { repoRoot } from '../helpers/golden.js';

const overrides = (params: string[], sets: string[]) => {
  const r = parseOverrides(params, sets);
  assert.ok(r.ok);
  return r.overrides;
};

describe('sweep: the grid', () => {
  it('splits values at top-level commas only', () => {
    assert.deepEqual(splitTopLevel('0.3,0.6, 0.9'), ['0.3', '0.6', '0.9']);
    assert.deepEqual(splitTopLevel("'linear(0.9 -> 0.05)',0.5"), ["'linear(0.9 -> 0.05)'", '0.5']);
    assert.deepEqual(splitTopLevel('[0.9,0.99],[0.8,0.9]'), ['[0.9,0.99]', '[0.8,0.9]']);
    assert.equal(splitTopLevel('f(1,2'), undefined);
  });

  it('axes are the flags with two or more values, in order; one value is fixed; the product is first-axis slowest', () => {
    const o = overrides(['λ=0.5,0.9', 'η=20%'], ['train.lr=1e-3,3e-3,1e-2', 'train.steps=5']);
    const r = sweepGrid(o.params, o.settings);
    assert.ok(!('errors' in r));
    assert.deepEqual(r.grid.axes, ['λ', 'train.lr']);
    assert.deepEqual(r.grid.points.map((p) => p.label), [
      'λ=0.5, train.lr=1e-3', 'λ=0.5, train.lr=3e-3', 'λ=0.5, train.lr=1e-2', 'λ=0.9, train.lr=1e-3', 'λ=0.9, train.lr=3e-3', 'λ=0.9, train.lr=1e-2',
    ]);
    assert.deepEqual(r.fixed.params.map((p) => p.flag), ['η=20%']);
    assert.deepEqual(r.fixed.settings.map((s) => s.flag), ['train.steps=5']);
    assert.equal(r.grid.points[4]!.slug, '005-lambda=0.9_train.lr=3e-3');
    assert.deepEqual(r.grid.points[4]!.settings.map((s) => s.text), ['3e-3']);
  });

  it('refuses no axis, a repeated value, an empty value and too many points', () => {
    const errors = (params: string[], sets: string[] = []) => {
      const o = overrides(params, sets);
      const r = sweepGrid(o.params, o.settings);
      return 'errors' in r ? r.errors.join('\n') : '';
    };
    assert.match(errors(['λ=0.5']), /nothing to sweep/);
    assert.match(errors(['λ=0.5,0.5']), /a value appears twice/);
    assert.match(errors(['λ=0.5,,0.9']), /an empty value/);
    const many = Array.from({ length: 17 }, (_, i) => String(i)).join(',');
    assert.match(errors([`λ=${many}`], [`train.lr=${many}`]), /289 points .* at most 256/);
  });

  it('ranks losses ascending and accuracies descending, by the mean over seeds', () => {
    const runs: SweepRun[] = [
      { point: 'a', seed: 1, runDir: '', ce: 2.0, worst: 3.0, facts: 0.1 },
      { point: 'a', seed: 2, runDir: '', ce: 2.2, worst: 3.2, facts: 0.3 },
      { point: 'b', seed: 1, runDir: '', ce: 1.9, worst: 3.5, facts: 0.1 },
      { point: 'b', seed: 2, runDir: '', ce: 2.1, worst: 3.3, facts: 0.1 },
    ];
    assert.deepEqual(rankPoints(['a', 'b'], runs, 'worst').map((r) => [r.rank, r.point]), [[1, 'a'], [2, 'b']]);
    assert.deepEqual(rankPoints(['a', 'b'], runs, 'ce').map((r) => r.point), ['b', 'a']);
    const byFacts = rankPoints(['a', 'b'], runs, 'facts');
    assert.deepEqual(byFacts.map((r) => r.point), ['a', 'b']);
    assert.ok(Math.abs(byFacts[0]!.cells.facts.mean - 0.2) < 1e-12);
    assert.equal(byFacts[0]!.cells.contains.n, 0);
  });
});

describe('sweep: bad flags before any training', () => {
  it('--set train.seed or train.out is a usage error; an unwritable --out is exit 1 naming it', async () => {
    const file = join(repoRoot, 'stdlib', 'sft.sftgo');
    const base = { seeds: [1], by: 'ce' as const, skipBadRecords: false, quiet: true, json: false };
    const owned = overrides([], ['train.lr=1e-3,3e-3', 'train.seed=3']);
    const a = new BufferOutput();
    assert.equal((await runSweep(file, { ...base, params: owned.params, settings: owned.settings }, a)).exitCode, 2);
    assert.match(a.stderrText, /--set train\.seed=3: sweep sets train\.seed itself \(use --seeds\)/);
    const grid = overrides([], ['train.lr=1e-3,3e-3']);
    const b = new BufferOutput();
    assert.equal((await runSweep(file, { ...base, params: grid.params, settings: grid.settings, out: '/proc/sweep' }, b)).exitCode, 1);
    assert.match(b.stderrText, /--out \/proc\/sweep: \/proc is on the kernel's proc file system/);
  });
});

describe('sweep: a tiny sweep, continued and refused', function () {
  this.timeout(240_000);
  let dir: string;
  let data: string[];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-sweep-'));
    // A few records of the bundled data: four runs stay a few seconds each.
    const head = (name: string, n: number) => {
      const path = join(dir, name);
      writeFileSync(path, readFileSync(join(repoRoot, 'assets', 'default', 'data', name), 'utf8').split('\n').slice(0, n).join('\n') + '\n');
      return JSON.stringify(path);
    };
    data = [`data.train=${head('train.jsonl', 24)}`, `data.eval=${head('eval.jsonl', 8)}`];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trains every point, writes sweep.json/md/svg; the same command again reuses the finished runs; another grid in the same OUT is refused', async () => {
    const file = join(repoRoot, 'stdlib', 'sftgo.sftgo');
    const o = overrides(['λ=0.2,0.8'], ['train.steps=2', 'train.batch=4', 'train.eval_every=0', ...data]);
    const options = { params: o.params, settings: o.settings, seeds: [1], by: 'worst' as const, out: join(dir, 'sw'), skipBadRecords: false, quiet: false, json: true };
    const first = new BufferOutput();
    const r1 = await runSweep(file, options, first);
    assert.equal(r1.exitCode, 0, first.stderrText);
    const doc = JSON.parse(first.stdoutText) as { rows: Array<{ rank: number; point: string; cells: { worst: { mean: number; n: number } } }>; runs: unknown[] };
    assert.equal(doc.runs.length, 2);
    assert.deepEqual(doc.rows.map((r) => r.rank), [1, 2]);
    assert.ok(doc.rows[0]!.cells.worst.mean <= doc.rows[1]!.cells.worst.mean);
    for (const f of ['sweep.json', 'sweep.md', 'sweep.svg', 'sweep-plan.json']) assert.ok(existsSync(join(dir, 'sw', f)), f);
    assert.match(readFileSync(join(dir, 'sw', 'sweep.svg'), 'utf8'), /n = 1 seed per point/);

    const second = new BufferOutput();
    assert.equal((await runSweep(file, options, second)).exitCode, 0, second.stderrText);
    assert.equal((second.stderrText.match(/done before, reused/g) ?? []).length, 2);
    assert.deepEqual(JSON.parse(second.stdoutText).rows, doc.rows);

    const other = overrides(['λ=0.2,0.5'], ['train.steps=2', 'train.batch=4', 'train.eval_every=0', ...data]);
    const third = new BufferOutput();
    const r3 = await runSweep(file, { ...options, params: other.params, settings: other.settings }, third);
    assert.equal(r3.exitCode, 1);
    assert.match(third.stderrText, /holds another sweep \(its points differs?\)/);
  });
});
