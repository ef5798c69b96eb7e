// The static-score cache (a second prepare loads what the first wrote, and says so; changed data or
// arguments miss) and the reference model's per-token ce (against plain log-softmax over the full
// logits of the same model, position by position).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compile } from '../../src/compile.js';
import { loadModel } from '../../src/model/index.js';
import { repoRoot } from '../helpers/golden.js';
import { fakeTokenizer, randomSamples } from './helpers.js';
import { prepareScores, REF_CE_KEY, scorerKey } from './imports.js';

const GPT2_TINY = join(repoRoot, 'test', 'fixtures', 'models', 'gpt2-tiny');

describe('groupers: cache and reference ce', () => {
  let dir: string;
  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-groupers-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a second prepare with the same data and arguments loads the cache and says so', async () => {
    const train = randomSamples(10, 1);
    const evalSamples = randomSamples(3, 2);
    const o = compile('group a = tfidf(top 30%)\ngroup b = random(seed = 4, top 50%)\nloss = max(groups)').objective!;
    const cacheDir = join(dir, 'cache');
    const first: string[] = [];
    const r1 = await prepareScores(o, { train, eval: evalSamples }, { tokenizer: fakeTokenizer(), cacheDir, log: (l) => first.push(l) });
    assert.ok(r1.ok);
    assert.equal(first.length, 2);
    assert.match(first[0]!, /^tfidf: computed in [0-9.]+ s \(key [0-9a-f]{16}\)$/);
    assert.equal(readdirSync(cacheDir).filter((f) => f.endsWith('.safetensors')).length, 2);

    const second: string[] = [];
    const r2 = await prepareScores(o, { train, eval: evalSamples }, { tokenizer: fakeTokenizer(), cacheDir, log: (l) => second.push(l) });
    assert.ok(r2.ok);
    const key = first[0]!.match(/key ([0-9a-f]+)/)![1];
    assert.equal(second[0], `tfidf: cached (key ${key})`);
    assert.match(second[1]!, /^random\(seed = 4\): cached/);
    for (const k of r1.store.keys) {
      const a = r1.store.forSamples([...train, ...evalSamples])[k]!;
      const b = r2.store.forSamples([...train, ...evalSamples])[k]!;
      a.forEach((x, i) => assert.deepEqual([...x], [...b[i]!]));
    }

    // A damaged file under the right name is recomputed and rewritten, never trusted.
    const tfidfFile = readdirSync(cacheDir).find((f) => f.startsWith('tfidf-'))!;
    writeFileSync(join(cacheDir, tfidfFile), 'not safetensors');
    const damaged: string[] = [];
    const r3 = await prepareScores(o, { train, eval: evalSamples }, { tokenizer: fakeTokenizer(), cacheDir, log: (l) => damaged.push(l) });
    assert.ok(r3.ok);
    assert.match(damaged[0]!, /^tfidf: computed/);
    assert.deepEqual([...r3.store.forSamples(train)[r1.store.keys[0]!]![0]!], [...r1.store.forSamples(train)[r1.store.keys[0]!]![0]!]);

    // One changed token in the data is another key; so is another argument.
    const changed = randomSamples(10, 1);
    changed[4]!.ids[changed[4]!.ids.length - 1] = 99;
    const third: string[] = [];
    await prepareScores(o, { train: changed, eval: evalSamples }, { tokenizer: fakeTokenizer(), cacheDir, log: (l) => third.push(l) });
    assert.ok(third.every((l) => l.includes('computed')), third.join('\n'));
    const o2 = compile('group a = tfidf(sublinear = true, top 30%)\nloss = max(groups)').objective!;
    const fourth: string[] = [];
    await prepareScores(o2, { train, eval: evalSamples }, { tokenizer: fakeTokenizer(), cacheDir, log: (l) => fourth.push(l) });
    assert.match(fourth[0]!, /^tfidf\(sublinear = true\): computed/);
  });

  it('ref_ce: the reference model predicts token t from tokens < t, loss positions only; cached', async () => {
    const train = randomSamples(5, 11, 50, [4, 14]);
    const evalSamples = randomSamples(2, 12, 50, [4, 14]);
    const o = compile('group sel = excess_loss(top 60% per batch)\nloss = mean(ce[sel])\nreference { path = "ref" }').objective!;
    const tokenizer = { ...fakeTokenizer(), vocabSize: 50 };
    const cacheDir = join(dir, 'cache-ref');
    const r = await prepareScores(o, { train, eval: evalSamples }, { tokenizer, cacheDir, referenceDir: GPT2_TINY });
    assert.ok(r.ok, !r.ok ? r.errors.join('\n') : '');
    assert.ok(r.store.keys.includes(REF_CE_KEY));
    assert.ok(!r.store.keys.includes(scorerKey(o.partition.scorers[0]!)), 'a dynamic scorer is not precomputed');
    const model = await loadModel(GPT2_TINY);
    const all = [...train, ...evalSamples];
    const got = r.store.forSamples(all)[REF_CE_KEY]!;
    all.forEach((s, i) => {
      const logits = tf.tidy(() => tf.logSoftmax(model.logits(tf.tensor2d([s.ids], [1, s.ids.length], 'int32'))).arraySync() as number[][][]);
      s.ids.forEach((id, t) => {
        const want = s.lossMask[t] && t > 0 ? -logits[0]![t - 1]![id]! : 0;
        assert.ok(Math.abs(got[i]![t]! - want) < 1e-4, `sample ${i} position ${t}: ${got[i]![t]} vs ${want}`);
      });
    });
    model.dispose();
    const again: string[] = [];
    await prepareScores(o, { train, eval: evalSamples }, { tokenizer, cacheDir, referenceDir: GPT2_TINY, log: (l) => again.push(l) });
    assert.match(again[0]!, /^ref_ce: cached \(key /);
  });

  it('a reference directory that is not a model is an error naming it', async () => {
    const o = compile('loss = mean(excess)\nreference { path = "nowhere" }').objective!;
    const r = await prepareScores(o, { train: randomSamples(2, 1), eval: [] }, { tokenizer: fakeTokenizer(), referenceDir: join(dir, 'nowhere') });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.errors[0]! : '', /reference model .*nowhere has no config\.json/);
  });
});
