// The lowered StepObjective on a real (tiny) model and padded batches: its loss and its gradient in
// every weight against the reference evaluator applied to the plain-logits ce of the loss tokens
// (∂loss/∂θ = Σ_t w_t·∂ce_t/∂θ with the reference's weights w), so the head, the gather of the loss
// tokens out of the padded grid, the host masks and the graph are checked together. Also: the
// Group DRO update rule under gradient accumulation and evaluation, checkpoint state, params.
import { strict as assert } from 'node:assert';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs';
import { collate } from '../../src/data/batch.js';
import type { Sample } from '../../src/data/types.js';
import type { Objective } from '../../src/ir/nodes.js';
import { evaluateObjective as reference, scorerKey, type EvalInputs } from '../../src/ir/reference-eval.js';
import { arrayScoreSource, lossTokensOf, lowerObjective, type LoweredObjective } from '../../src/lower/index.js';
import type { CausalLM } from '../../src/model/types.js';
import { batchTensors, disposeBatchTensors } from '../../src/train/collate.js';
import { plainTokenCe, type StepContext } from '../../src/train/objective.js';
import { tinyLm, tinySamples } from '../train/helpers/tiny-lm.js';
import { close, objective, rng } from './helpers.js';

const TFIDF = 'tfidf(smooth = true, sublinear = false)';
const CTX: StepContext = { step: 2, totalSteps: 8, training: true, microBatch: 0, microBatches: 1 };

function samples(seed: number): Sample[] {
  return tinySamples(5, seed, 11, [3, 9]).map((s, i) => ({
    ...s,
    text: s.ids.map((id) => 'abcdefghijk'[id]).join(''),
    reward: i - 2,
    advantage: (i % 3) - 1,
    // One sample whose response is cut away entirely: it has no loss tokens.
    lossMask: i === 3 ? s.lossMask.map(() => false) : s.lossMask,
  }));
}

function sources(list: readonly Sample[], seed: number) {
  const r = rng(seed);
  const scores = new Map(list.map((s) => [s.index, { [TFIDF]: s.ids.map(() => Math.fround(r())), 'random(seed = 0)': s.ids.map(() => Math.fround(r())) }]));
  const refCe = new Map(list.map((s) => [s.index, s.ids.map(() => Math.fround(3 * r()))]));
  return { scores, refCe };
}

function lower(o: Objective, list: readonly Sample[]): LoweredObjective {
  const r = lowerObjective(o, { scores: arrayScoreSource(sources(list, 99)), headChunk: 4 });
  assert.ok(r.ok, r.ok ? '' : r.problems.join('; '));
  return r.objective;
}

/** The reference's inputs for a batch: plain-path ce (and entropy) of its loss tokens, and the same scores. */
function referenceInputs(model: CausalLM, list: readonly Sample[]): { inputs: EvalInputs; plainCe: () => tf.Tensor1D } {
  const batch = collate(list, 0);
  const tokens = lossTokensOf(batch);
  const src = sources(list, 99);
  const plainCe = () =>
    tf.tidy(() => {
      const t = batchTensors(batch);
      const ce = tf.gather(tf.reshape(plainTokenCe(model, t), [-1]), tf.tensor1d(tokens.flat, 'int32')) as tf.Tensor1D;
      disposeBatchTensors(t);
      return ce;
    });
  const entropy = tf.tidy(() => {
    const logits = model.logits(tf.tensor2d(batch.inputIds, [batch.batchSize, batch.seqLen], 'int32'));
    const logp = tf.logSoftmax(logits);
    const h = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
    return Array.from(tf.gather(tf.reshape(h, [-1]), tf.tensor1d(tokens.flat, 'int32')).dataSync());
  });
  const pick = <T,>(get: (s: Sample, t: number) => T): T[] => tokens.row.map((row, i) => get(list[row]!, tokens.tokenIndex[i]!));
  return {
    plainCe,
    inputs: {
      sampleOf: tokens.row,
      ce: Array.from(plainCe().dataSync()),
      entropy,
      refCe: pick((s, t) => src.refCe.get(s.index)![t]!),
      reward: pick((s) => s.reward),
      advantage: pick((s) => s.advantage),
      scores: { [TFIDF]: pick((s, t) => src.scores.get(s.index)![TFIDF][t]!), 'random(seed = 0)': pick((s, t) => src.scores.get(s.index)!['random(seed = 0)'][t]!) },
      text: pick((s, t) => s.text.slice(s.offsets[t]![0], s.offsets[t]![1])),
      step: CTX.step,
      totalSteps: CTX.totalSteps,
    },
  };
}

const OBJECTIVES: Record<string, string> = {
  'SFT-GO card': 'group important = tfidf(top 30%); loss = λ·max(groups) + (1-λ)·ce',
  'Rho-1': 'group selected = excess_loss(top 60% per batch)\nloss = mean(ce[selected])\nreference { path = "self" }',
  'DFT': 'loss = mean(sg(p)·ce)',
  'GFT': 'param τ = 0.1\nloss = mean(where(p > τ, 1, sg(p))·ce·advantage)',
  'entropy and regex selectors': 'group e = entropy(top 40%)\ngroup r = regex("[aeiou]")\nloss = smoothmax(groups, temperature = 0.7) + seqmean(ce) + cvar(ce, 20%)',
  'schedule': 'param λ = linear(0.9 -> 0.1)\ngroup g = random() > 0.5\nloss = λ * max(groups) + (1 - λ) * mean(ce * reward)',
};

describe('lowering: StepObjective on a model', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const [name, source] of Object.entries(OBJECTIVES)) {
    it(`${name}: loss and every weight's gradient match the reference`, () => {
      const model = tinyLm(3);
      const list = samples(7);
      const o = objective(source);
      const lowered = lower(o, list);
      const { inputs, plainCe } = referenceInputs(model, list);
      const ref = reference(o, inputs);
      const vars = [...model.params.values()];
      const t = batchTensors(collate(list, 0));
      const mine = tf.variableGrads(() => lowered.computeLoss(model, t, CTX).loss, vars);
      const expected = tf.variableGrads(() => tf.sum(tf.mul(plainCe(), tf.tensor1d(ref.weights))) as tf.Scalar, vars);
      close(mine.value.dataSync()[0]!, ref.loss, `${name}: loss`, 1e-5, 1e-4);
      for (const [v, g] of Object.entries(expected.grads)) {
        const a = mine.grads[v]!.dataSync();
        g.dataSync().forEach((x, i) => close(a[i]!, x, `${name}: ∂/∂${v}[${i}]`, 1e-5, 1e-3));
      }
      disposeBatchTensors(t);
      model.dispose();
    });
  }

  // A batch seen again reuses its host inputs and masks when they read nothing that changes between
  // steps (SFT-GO's tfidf masks); masks on the model's own ce must be evaluated again.
  const CACHED: Record<string, string> = { 'SFT-GO card': OBJECTIVES['SFT-GO card']!, 'loss() selector': 'group hard = loss(top 50% per batch)\nloss = mean(ce[hard])' };
  for (const [name, source] of Object.entries(CACHED)) {
    it(`${name}: the same batch on a second model still matches the reference (mask cache)`, () => {
      const list = samples(21);
      const o = objective(source);
      const lowered = lower(o, list);
      const t = batchTensors(collate(list, 0));
      const first = tinyLm(4);
      tf.tidy(() => lowered.computeLoss(first, t, CTX).loss);
      first.dispose();
      const second = tinyLm(5);
      const ref = reference(o, { ...referenceInputs(second, list).inputs, step: 5 });
      const r = lowered.computeLoss(second, t, { ...CTX, step: 5 });
      close(r.loss.dataSync()[0]!, ref.loss, `${name}: loss on the second model`, 1e-5, 1e-4);
      const counts = [...r.groups.values()].map((g) => g.tokens);
      assert.deepEqual(counts, ref.groupNames.map((_, g) => ref.groupOf.filter((x) => x === g).length), `${name}: group token counts`);
      disposeBatchTensors(t);
      second.dispose();
    });
  }

  it('entropy in the loss: its gradient reaches the weights as through the plain softmax', () => {
    const model = tinyLm(8);
    const list = samples(12);
    const lowered = lower(objective('loss = mean(entropy * (1 + ce))'), list);
    const batch = collate(list, 0);
    const tokens = lossTokensOf(batch);
    const vars = [...model.params.values()];
    const t = batchTensors(batch);
    const mine = tf.variableGrads(() => lowered.computeLoss(model, t, CTX).loss, vars);
    const plain = tf.variableGrads(() => {
      const logits = tf.reshape(model.logits(t.inputIds), [batch.batchSize * batch.seqLen, -1]);
      const idx = tf.tensor1d(tokens.flat, 'int32');
      const logp = tf.logSoftmax(tf.gather(logits, idx));
      const h = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1));
      const ce = tf.gather(tf.reshape(plainTokenCe(model, t), [-1]), idx);
      return tf.mean(tf.mul(h, tf.add(1, ce))) as tf.Scalar;
    }, vars);
    close(mine.value.dataSync()[0]!, plain.value.dataSync()[0]!, 'loss', 1e-5, 1e-4);
    for (const [v, g] of Object.entries(plain.grads)) {
      const a = mine.grads[v]!.dataSync();
      g.dataSync().forEach((x, i) => close(a[i]!, x, `∂/∂${v}[${i}]`, 1e-5, 1e-3));
    }
    disposeBatchTensors(t);
    model.dispose();
  });

  it('reports every group in partition order with its token count and ce mean', () => {
    const model = tinyLm(4);
    const list = samples(8);
    const o = objective('group important = tfidf(top 30%); loss = λ·max(groups) + (1-λ)·ce');
    const lowered = lower(o, list);
    const { inputs } = referenceInputs(model, list);
    const ref = reference(o, inputs);
    const t = batchTensors(collate(list, 0));
    const r = tf.tidy(() => {
      const out = lowered.computeLoss(model, t, CTX);
      return { ce: out.ce.dataSync()[0]!, groups: [...out.groups].map(([n, g]) => [n, g.loss.dataSync()[0]!, g.tokens] as const) };
    });
    assert.deepEqual(lowered.groupNames, ['important', 'rest']);
    assert.deepEqual(r.groups.map(([n, , k]) => [n, k]), [['important', ref.groupOf.filter((g) => g === 0).length], ['rest', ref.groupOf.filter((g) => g === 1).length]]);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    close(r.groups[0]![1], mean(inputs.ce.filter((_, i) => ref.groupOf[i] === 0)), 'important mean');
    close(r.ce, mean(inputs.ce), 'ce');
    disposeBatchTensors(t);
    model.dispose();
  });

  it('Group DRO: q moves once per update (first micro-batch, training only) and round-trips through getState', () => {
    const model = tinyLm(5);
    const list = samples(9);
    const o = objective('group a = tfidf(top 30%)\nloss = dro(groups, step = 2)');
    const lowered = lower(o, list);
    const t = batchTensors(collate(list, 0));
    const q = () => (lowered.getState!() as { weights: number[][] }).weights[0]!;
    const run = (ctx: Partial<StepContext>) => tf.tidy(() => lowered.computeLoss(model, t, { ...CTX, ...ctx }).loss.dataSync()[0]!);
    assert.deepEqual(q(), [0.5, 0.5]);
    run({ training: false });
    assert.deepEqual(q(), [0.5, 0.5], 'evaluation leaves q alone');
    run({ microBatch: 0, microBatches: 2 });
    const after = q();
    assert.notDeepEqual(after, [0.5, 0.5]);
    const { inputs } = referenceInputs(model, list);
    reference(o, inputs).droWeights!.forEach((x, g) => close(after[g]!, x, `q[${g}]`, 1e-6, 1e-5));
    run({ microBatch: 1, microBatches: 2 });
    assert.deepEqual(q(), after, 'a later micro-batch of the same update reuses q');
    const saved = JSON.parse(JSON.stringify(lowered.getState!()));
    run({ step: 3 });
    assert.notDeepEqual(q(), after);
    assert.deepEqual(lowered.setState!(saved), []);
    assert.deepEqual(q(), after);
    assert.equal(lowered.setState!({ version: 1, weights: [[1]] }).length, 1);
    assert.equal(lowered.setState!('nonsense').length, 1);
    disposeBatchTensors(t);
    model.dispose();
  });

  it('a batch without loss tokens gives a zero loss, empty groups and finite gradients', () => {
    const model = tinyLm(6);
    const list = samples(10).map((s) => ({ ...s, lossMask: s.lossMask.map(() => false) }));
    const lowered = lower(objective('group a = tfidf(top 30%)\nloss = max(groups) + dro(groups, step = 1)'), list);
    const t = batchTensors(collate(list, 0));
    const { value, grads } = tf.variableGrads(() => lowered.computeLoss(model, t, CTX).loss, [...model.params.values()]);
    assert.equal(value.dataSync()[0], 0);
    for (const g of Object.values(grads)) assert.ok(Array.from(g.dataSync()).every((x) => x === 0));
    disposeBatchTensors(t);
    model.dispose();
  });

  it('paramValues gives every param at the step, schedules included', () => {
    const lowered = lower(objective('param λ = linear(0.9 -> 0.1, over = 50%)\nparam η = 30%\nloss = λ * mean(ce)'), []);
    assert.deepEqual(lowered.paramValues!({ ...CTX, step: 0 }), { λ: 0.9, η: 0.3 });
    close(lowered.paramValues!({ ...CTX, step: 2 }).λ!, 0.5, 'λ at step 2 of 8');
    close(lowered.paramValues!({ ...CTX, step: 7 }).λ!, 0.1, 'λ after over');
  });

  it('refuses an objective whose static scores have no source, naming the scorer', () => {
    const r = lowerObjective(objective('group important = tfidf(top 30%); loss = max(groups)'));
    assert.ok(!r.ok);
    assert.match(r.problems[0]!, /tfidf\(smooth = true, sublinear = false\)/);
    assert.ok(lowerObjective(objective('loss = mean(sg(p) * ce)')).ok);
  });

  it('keys scores by the reference evaluator scorer key', () => {
    const o = objective('group g = random() > 0.5\nloss = max(groups)');
    const r = lowerObjective(o, { scores: arrayScoreSource({}) });
    assert.ok(r.ok);
    assert.deepEqual([...r.objective.needs.scorers.keys()], [scorerKey(o.partition.scorers[0]!)]);
  });
});
