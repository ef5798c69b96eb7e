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
import { runCompare, type CompareOptions } from '../../src/compare/run-compare.js';

const records = [
  { prompt: 'Question: What colour is the sky?\nAnswer:', completion: ' The sky is blue.' },
  { prompt: 'Question: What is two plus two?\nAnswer:', completion: ' Two plus two is four.' },
  { prompt: 'Question: Where do fish live?\nAnswer:', completion: ' Fish live in water.' },
  { prompt: 'Question: What do cows eat?\nAnswer:', completion: ' Cows eat grass.' },
];

const set = (flag: string): SetOverride => {
  const left = flag.slice(0, flag.indexOf('='));
  const [block, key] = left.split('.') as ['train', string];
  return { block, key, text: flag.slice(flag.indexOf('=') + 1), flag };
};

describe('sftgoc compare (tiny preset, 2 objectives × 2 seeds × 2 steps)', function () {
  this.timeout(120000);
  let dir: string;
  let previousBackend: string | undefined;
  const options = (extra: Partial<CompareOptions> = {}): CompareOptions => ({
    seeds: [1, 2], params: [], skipBadRecords: false, quiet: false, json: false, out: join(dir, 'cmp'),
    settings: [
      set(`data.train=${JSON.stringify(join(dir, 'train.jsonl'))}`), set(`data.eval=${JSON.stringify(join(dir, 'eval.jsonl'))}`),
      set('train.steps=2'), set('train.batch=2'), set('train.eval_every=0'), set('train.save_every=0'), set('train.backend=wasm'),
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

  it('trains every (file, seed), and tabulates held-out loss per group as mean ± std over seeds', async () => {
    const out = new BufferOutput();
    const result = await runCompare([join(dir, 'sft.sftgo'), join(dir, 'sftgo.sftgo')], options(), out);
    assert.equal(result.exitCode, 0, out.stderrText);
    const cmp = join(dir, 'cmp');
    assert.deepEqual((await readdir(cmp)).sort(), ['compare.json', 'compare.md', 'sft', 'sftgo']);
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
    assert.deepEqual(doc.columns, ['ce', 'important', 'rest']);
    assert.deepEqual(doc.rows.map((r: { objective: string }) => r.objective), ['sft', 'sftgo']);
    const sftgoRuns = doc.runs.filter((r: { objective: string }) => r.objective === 'sftgo');
    const expected = meanStd(sftgoRuns.map((r: { eval: { groups: { important: { loss: number } } } }) => r.eval.groups.important.loss));
    assert.deepEqual(doc.rows[1].cells.important, { mean: expected.mean, std: expected.std, n: 2 });
    assert.equal(doc.rows[0].cells.important, null);
    // Printed table: header and one row per objective.
    const lines = out.stdoutText.trim().split('\n').filter((l) => l.startsWith('|'));
    assert.equal(lines.length, 4);
    assert.equal(lines[0], '| objective | held-out ce | group important | group rest |');
    assert.match(lines[3]!, /^\| sftgo \| \d+\.\d{4} ± \d+\.\d{4} \| \d+\.\d{4} ± \d+\.\d{4} \| \d+\.\d{4} ± \d+\.\d{4} \|$/);
    const md = await readFile(join(cmp, 'compare.md'), 'utf8');
    assert.ok(md.includes(lines[0]!) && md.includes(lines[3]!));
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
    withSeed.settings = [...withSeed.settings, set('train.seed=4')];
    assert.equal((await runCompare([join(dir, 'sft.sftgo')], withSeed, usage)).exitCode, 2);
    assert.match(usage.stderrText, /compare sets train\.seed itself \(use --seeds\)/);
  });
});
