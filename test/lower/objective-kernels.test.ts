// What the compiled SFT-GO objective adds to a training step, counted rather than timed: the kernels
// of one trainStep under tf.profile, SFT-GO (`λ·max(groups) + (1-λ)·ce` over a TF-IDF grouping)
// against SFT (`mean(ce)`) on the same tiny model and batch. The SFT-GO extra is a fixed cost per
// step (tfjs dispatches each kernel through its engine: tape, scopes, saved copies), so it is what
// decides its overhead once the model's own step is fast. Node by node the loss graph added ~58
// kernels a step; linear-loss.ts computes it as one op (4 more than SFT). Also: the static masks
// are evaluated once per batch, not once per step.
import { strict as assert } from 'node:assert';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs';
import { collate } from '../../src/data/batch.js';
import { arrayScoreSource, lowerObjective, type ScoreSource } from '../../src/lower/index.js';
import { AdamW } from '../../src/train/adamw.js';
import type { StepObjective } from '../../src/train/objective.js';
import { trainStep } from '../../src/train/step.js';
import { tinyLm, tinySamples } from '../train/helpers/tiny-lm.js';
import { objective, rng } from './helpers.js';

const TFIDF = 'tfidf(smooth = true, sublinear = false)';
const SAMPLES = tinySamples(6, 3, 11, [6, 12]);
const BATCH = collate(SAMPLES, 0);

function scores(): ScoreSource {
  const r = rng(7);
  return arrayScoreSource({ scores: new Map(SAMPLES.map((s) => [s.index, { [TFIDF]: s.ids.map(() => r()) }])) });
}

function lowered(source: string, scoreSource: ScoreSource): StepObjective {
  const r = lowerObjective(objective(source), { scores: scoreSource, headChunk: 4 });
  assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
  return r.objective;
}

/** Kernels of the third step (the first two warm the caches), and the step's loss. */
async function stepKernels(o: StepObjective): Promise<{ kernels: string[]; loss: number }> {
  const model = tinyLm(5);
  const optimizer = new AdamW(model.params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 });
  const step = (i: number) => trainStep({ model, objective: o, optimizer, microBatches: [BATCH], step: i, totalSteps: 4, lr: 1e-3, clipGrad: 1 });
  step(0);
  step(1);
  let loss = NaN;
  const info = await tf.profile(() => {
    loss = step(2).loss;
  });
  model.dispose();
  return { kernels: info.kernels.map((k) => k.name), loss };
}

describe('SFT-GO step cost in kernels', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('adds at most 8 kernels to an SFT step, and evaluates its masks once per batch', async () => {
    let calls = 0;
    const source = scores();
    const counting: ScoreSource = { batchScores: (request) => { calls++; return source.batchScores(request); } };
    const sft = await stepKernels(lowered('loss = mean(ce)', source));
    const sftgo = await stepKernels(lowered('group important = tfidf(top 30%)\nloss = λ·max(groups) + (1-λ)·ce', counting));
    assert.ok(Number.isFinite(sft.loss) && Number.isFinite(sftgo.loss));
    const extra = sftgo.kernels.length - sft.kernels.length;
    assert.ok(extra <= 8, `SFT-GO adds ${extra} kernels to a step of ${sft.kernels.length}`);
    assert.equal(calls, 1, 'the static masks of one batch were evaluated more than once');
  });
});
