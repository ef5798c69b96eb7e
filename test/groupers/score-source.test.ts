// The store as the executor reads it: forBatch agrees with forSamples at the executor's loss-token
// addresses (row, index of the predicted token), and a lowered SFT-GO objective fed these scores
// gives the reference evaluator's loss for the same scores and ce.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { compile } from '../../src/compile.js';
import { collate } from '../../src/data/batch.js';
import { prepareScores } from '../../src/groupers/index.js';
import { evaluateObjective } from '../../src/ir/reference-eval.js';
import { arrayScoreSource, lossTokensOf, lowerObjective } from '../../src/lower/index.js';
import { scorerKey } from '../../src/ir/reference-eval.js';
import { batchTensors } from '../../src/train/collate.js';
import { plainTokenCe } from '../../src/train/objective.js';
import { tinyLm, tinySamples } from '../train/helpers/tiny-lm.js';
import { fakeTokenizer } from './helpers.js';

describe('groupers: ScoreSource for the executor', () => {
  before(async () => void (await tf.setBackend('cpu')));

  it('forBatch agrees with forSamples at the predicted token of each loss token', async () => {
    const train = tinySamples(6, 3);
    const o = compile('group important = tfidf(top 30%); loss = λ·max(groups) + (1-λ)·ce').objective!;
    const r = await prepareScores(o, { train, eval: [] }, { tokenizer: fakeTokenizer() });
    assert.ok(r.ok);
    const batch = collate(train.slice(1, 4), 0);
    const tokens = lossTokensOf(batch);
    const key = scorerKey(o.partition.scorers[0]!);
    const per = r.store.forSamples(batch.samples)[key]!;
    const flat = r.store.forBatch(batch)[key]!;
    assert.ok(tokens.n > 0);
    tokens.row.forEach((row, i) => assert.equal(flat[tokens.flat[i]!], per[row]![tokens.tokenIndex[i]!]));
  });

  it('a lowered SFT-GO objective on these scores matches the reference evaluator', async () => {
    const train = tinySamples(8, 5);
    const o = compile('group important = tfidf(top 30%); loss = λ·max(groups) + (1-λ)·ce').objective!;
    const r = await prepareScores(o, { train, eval: [] }, { tokenizer: fakeTokenizer() });
    assert.ok(r.ok);
    const key = scorerKey(o.partition.scorers[0]!);
    const per = r.store.forSamples(train)[key]!;
    const arrays = new Map(train.map((s, i) => [s.index, { [key]: [...per[i]!] }] as const));
    const lowered = lowerObjective(o, { scores: arrayScoreSource({ scores: arrays }) });
    assert.ok(lowered.ok);
    const model = tinyLm(2);
    const bt = batchTensors(collate(train, 0));
    const ctx = { step: 0, totalSteps: 10, training: false, microBatch: 0, microBatches: 1 };
    const loss = tf.tidy(() => lowered.objective.computeLoss(model, bt, ctx).loss.arraySync() as number);
    const tokens = lossTokensOf(bt.batch);
    const ceGrid = plainTokenCe(model, bt).dataSync();
    const want = evaluateObjective(o, {
      sampleOf: tokens.row,
      ce: [...tokens.flat].map((f) => ceGrid[f]!),
      scores: { [key]: tokens.row.map((r, i) => per[r]![tokens.tokenIndex[i]!]!) },
    }).loss;
    assert.ok(Math.abs(loss - want) < 1e-4, `${loss} vs ${want}`);
    model.dispose();
  });
});
