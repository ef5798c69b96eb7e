// `sftgoc compare` end to end on the tiny preset: two objectives × two seeds × two steps through
// runFile, then the table, compare.json and compare.md; and the checks that run before training.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BufferOutput } from '../../src/cli/output.js';
import type { SetOverride } from '../../src/cli/overrides.js';
import { meanStd } from '../../src/compare/aggregate.js';
import { runCompare, type CompareOptions } from '../../src/app/compare.js';
import { repoRoot } from '../helpers/golden.js';
import { setFlag } from '../helpers/set-flag.js';

// Each completion marks its answer word as a fact (scores.fact), so compare adds the fact grouping.
const fact = (completion: string, word: string) => ({ fact: [{ start: completion.indexOf(word), end: completion.indexOf(word) + word.length, score: 1 }] });
const records = [
  { prompt: 'Question: What colour is the sky?\nAnswer:', completion: ' The sky is blue.', scores: fact(' The sky is blue.', 'blue') },
  { prompt: 'Question: What is two plus two?\nAnswer:', completion: ' Two plus two is four.', scores: fact(' Two plus two is four.', 'four') },
  { prompt: 'Question: Where do fish live?\nAnswer:', completion: ' Fish live in water.', scores: fact(' Fish live in water.', 'water') },
  { prompt: 'Question: What do cows eat?\nAnswer:', completion: ' Cows eat grass.', scores: fact(' Cows eat grass.', 'grass') },
];


describe('sftgoc compare (tiny preset, 2 objectives × 2 seeds × 2 steps)', function () {
  this.timeout(120000);
  let dir: string;
  let previousBackend: string | undefined;
  const options = (extra: Partial<CompareOptions> = {}): CompareOptions => ({
    seeds: [1, 2], params: [], skipBadRecords: false, quiet: false, json: false, out: join(dir, 'cmp'),
    settings: [
      setFlag(`data.train=${JSON.stringify(join(dir, 'train.jsonl'))}`), setFlag(`data.eval=${JSON.stringify(join(dir, 'eval.jsonl'))}`),
      setFlag('train.steps=2'), setFlag('train.batch=2'), setFlag('train.eval_every=0'), setFlag('train.save_every=0'), setFlag('train.backend=wasm'),
    ],
    ...extra,
  });

  before(async () => {
    previousBackend = tf.getBackend();
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-compare-'));
    await writeFile(join(dir, 'train.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    await writeFile(join(dir, 'eval.jsonl'), records.slice(0, 2).map((r) => JSON.stringify(r)).join('\n'));
    await writeFile(join(dir, 'sft.sftgo'), 'objective sft\nloss = mean(ce)\nmodel { preset = "tiny" }\n');
    await writeFile(join(dir, 'sftgo.sftgo'), 'objective sftgo\ngroup important = tfidf(top 30%)\nloss = λ·max(groups) + (1-λ)·ce\nmodel { preset = "tiny" }\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await tf.setBackend(previousBackend ?? 'cpu');
  });

  it('trains every (file, seed); every model is evaluated under every grouping (SFT gets SFT-GO\'s columns); mean ± std; worst group; figure', async () => {
    const out = new BufferOutput();
    // The stdlib files themselves (as `sftgoc compare stdlib/sft.sftgo stdlib/sftgo.sftgo --seeds 1,2`), on the tiny preset.
    const opts = options();
    opts.settings = [...opts.settings, { block: 'model', key: 'preset', text: '"tiny"', flag: 'model.preset="tiny"' } as SetOverride];
    const result = await runCompare([join(repoRoot, 'stdlib', 'sft.sftgo'), join(repoRoot, 'stdlib', 'sftgo.sftgo')], opts, out);
    assert.equal(result.exitCode, 0, out.stderrText);
    const cmp = join(dir, 'cmp');
    assert.deepEqual((await readdir(cmp)).sort(), ['compare.html', 'compare.json', 'compare.md', 'compare.svg', 'groupings', 'sft', 'sftgo']);
    assert.deepEqual((await readdir(join(cmp, 'sftgo'))).sort(), ['seed-1', 'seed-2']);
    // Each run recorded its seed, and its final held-out evaluation is the one tabulated.
    const doc = JSON.parse(await readFile(join(cmp, 'compare.json'), 'utf8'));
    assert.equal(doc.runs.length, 4);
    for (const r of doc.runs) {
      const config = JSON.parse(await readFile(join(r.run_dir, 'config.json'), 'utf8'));
      assert.equal(config.train.seed, r.seed);
      const evals = (await readFile(join(r.run_dir, 'eval.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(r.eval.groups, evals.at(-1).groups);
      assert.equal(r.eval.ce, evals.at(-1).ce);
    }
    assert.deepEqual(doc.columns, ['ce', 'sftgo/important', 'sftgo/rest', 'sftgo/worst', 'fact/fact', 'fact/rest', 'fact/worst']);
    assert.deepEqual(doc.rows.map((r: { objective: string }) => r.objective), ['sft', 'sftgo']);
    type Doc = { eval: { groups: Record<string, { loss: number }>; groupings: Record<string, Record<string, { loss: number; tokens: number }>> } };
    for (const [row, name] of [[0, 'sft'], [1, 'sftgo']] as const) {
      const mine: Doc[] = doc.runs.filter((r: { objective: string }) => r.objective === name);
      for (const c of ['important', 'rest']) {
        const expected = meanStd(mine.map((r) => r.eval.groupings.sftgo![c]!.loss));
        assert.deepEqual(doc.rows[row].cells[`sftgo/${c}`], { mean: expected.mean, std: expected.std, n: 2 }, `${name} sftgo/${c}`);
      }
      const worst = meanStd(mine.map((r) => Math.max(...Object.values(r.eval.groupings.fact!).filter((g) => g.tokens > 0).map((g) => g.loss))));
      assert.deepEqual(doc.rows[row].cells['fact/worst'], { mean: worst.mean, std: worst.std, n: 2 });
      // Only the 4 answer words are facts; the fact group has tokens.
      for (const r of mine) assert.ok(r.eval.groupings.fact!.fact!.tokens > 0);
    }
    // SFT-GO's own grouping, recomputed by `eval` on its final model, is what its trainer logged.
    for (const r of doc.runs.filter((x: { objective: string }) => x.objective === 'sftgo') as Doc[]) {
      for (const g of ['important', 'rest']) assert.ok(Math.abs(r.eval.groupings.sftgo![g]!.loss - r.eval.groups[g]!.loss) < 1e-4, g);
    }
    // Printed table: header and one row per objective; SFT's group cells are numbers, not "—".
    const lines = out.stdoutText.trim().split('\n').filter((l) => l.startsWith('|'));
    assert.equal(lines.length, 4);
    assert.equal(lines[0], '| objective | held-out ce | sftgo/important | sftgo/rest | sftgo/worst | fact/fact | fact/rest | fact/worst |');
    for (const l of lines.slice(2)) assert.match(l, /^\| sftg?o? \|( \d+\.\d{4} ± \d+\.\d{4} \|){7}$/);
    const md = await readFile(join(cmp, 'compare.md'), 'utf8');
    assert.ok(md.includes(lines[0]!) && md.includes(lines[3]!));
    // The figure: one bar per (objective, column), self-contained.
    const svg = await readFile(join(cmp, 'compare.svg'), 'utf8');
    assert.equal((svg.match(/<rect [^>]*><title>/g) ?? []).length, 2 * 7);
    const html = await readFile(join(cmp, 'compare.html'), 'utf8');
    assert.ok(html.includes('<svg') && !/src=|href=|<script/.test(html));
  });

  it('reports every file\'s errors before training anything', async () => {
    await writeFile(join(dir, 'bad.sftgo'), 'loss = mean(cee)\n');
    const out = new BufferOutput();
    const result = await runCompare([join(dir, 'bad.sftgo'), join(dir, 'sft.sftgo')], options({ out: join(dir, 'cmp-bad') }), out);
    assert.equal(result.exitCode, 1);
    assert.match(out.stderrText, /bad\.sftgo:1:\d+: error/);
    await assert.rejects(readdir(join(dir, 'cmp-bad')));
  });

  it('needs held-out data, and leaves train.seed and train.out to itself', async () => {
    const noEval = options({ out: join(dir, 'cmp-x') });
    noEval.settings = noEval.settings.filter((s) => s.key !== 'eval');
    const out = new BufferOutput();
    assert.equal((await runCompare([join(dir, 'sft.sftgo')], noEval, out)).exitCode, 1);
    assert.match(out.stderrText, /no held-out data to compare on/);
    const usage = new BufferOutput();
    const withSeed = options();
    withSeed.settings = [...withSeed.settings, setFlag('train.seed=4')];
    assert.equal((await runCompare([join(dir, 'sft.sftgo')], withSeed, usage)).exitCode, 2);
    assert.match(usage.stderrText, /compare sets train\.seed itself \(use --seeds\)/);
  });
});
