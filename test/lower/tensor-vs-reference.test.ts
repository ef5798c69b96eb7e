// The lowering's tensor path (src/lower/, through tf.grads) against B's plain-loop reference
// evaluator (src/ir/reference-eval.ts, dual numbers in float64): value and ∂loss/∂ce for every
// function of LANGUAGE.md §7 and every stdlib objective, on random inputs, swept over empty groups,
// ties, extreme values, schedules at steps 0/mid/end and Group DRO weights over several steps.
// Tolerances: float32 arithmetic against float64, |Δ| ≤ 2e-5 + 2e-4·|reference|. The partitions
// must agree exactly: the tensor path computes its own (src/ir/host-values.ts), the reference
// evaluator its own, each straight from the IR's selector, rank and group nodes.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs';
import { compileFile } from '../../src/compile.js';
import { evaluateObjective as reference, type EvalInputs } from '../../src/ir/reference-eval.js';
import type { Objective } from '../../src/ir/nodes.js';
import { evaluateObjective as tensorPath } from '../../src/lower/index.js';
import { repoRoot } from '../helpers/golden.js';
import { FUNCTIONS, SHAPES } from './cases.js';
import { close, inputsFor, objective } from './helpers.js';

function compare(o: Objective, inputs: EvalInputs, what: string): { ref: ReturnType<typeof reference>; got: ReturnType<typeof tensorPath> } {
  const ref = reference(o, inputs);
  const got = tensorPath(o, inputs);
  close(got.value, ref.loss, `${what}: value`);
  assert.equal(got.dLossDce.length, ref.weights.length);
  got.dLossDce.forEach((w, i) => close(w, ref.weights[i]!, `${what}: ∂loss/∂ce[${i}]`));
  if (ref.droWeights !== undefined) got.droWeights!.forEach((q, g) => close(q, ref.droWeights![g]!, `${what}: q[${g}]`, 1e-7, 1e-5));
  if (o.partition.groups.length > 0) assert.deepEqual(got.groupOf, ref.groupOf, `${what}: partition`);
  return { ref, got };
}

describe('lowering: tensor path against the reference evaluator', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  for (const [name, source] of Object.entries(FUNCTIONS)) {
    it(`${name}: ${source.split('\n').at(-1)}`, () => {
      const o = objective(source);
      SHAPES.forEach((shape, k) => {
        for (const step of [0, 3, 5, 10]) compare(o, inputsFor(o, { ...shape, step, totalSteps: 10 }), `shape ${k} step ${step}`);
      });
    });
  }

  it('every stdlib objective', () => {
    const dir = join(repoRoot, 'stdlib');
    const files = readdirSync(dir).filter((f) => f.endsWith('.sftgo'));
    assert.ok(files.length >= 8);
    for (const f of files) {
      const compiled = compileFile(join(dir, f));
      assert.ok(compiled.objective, f);
      SHAPES.forEach((shape, k) => compare(compiled.objective!, inputsFor(compiled.objective!, shape), `${f} shape ${k}`));
    }
  });

  it('max(groups): equal group means give the gradient to the first group', () => {
    const o = objective('group a = tfidf(top 50%)\nloss = max(groups)');
    const inputs = inputsFor(o, { sizes: [4], seed: 5 });
    inputs.ce = [1, 1, 2, 2];
    inputs.scores!['tfidf(smooth = true, sublinear = false)'] = [0.9, 0.1, 0.2, 0.8];
    const { got } = compare(o, inputs, 'tie');
    assert.deepEqual(got.groupOf, [0, 1, 1, 0]);
    assert.deepEqual(got.dLossDce, [0.5, 0, 0, 0.5]);
  });

  it('Group DRO weights carried over several steps agree, and move toward the worst group', () => {
    const o = objective('group a = tfidf(top 30%)\nloss = dro(groups, step = 0.3)');
    let refQ: number[] | undefined;
    let gotQ: number[] | undefined;
    for (let step = 0; step < 6; step++) {
      const inputs = inputsFor(o, { sizes: [8, 5], seed: 10 + step, step });
      const ref = reference(o, { ...inputs, droWeights: refQ });
      const got = tensorPath(o, { ...inputs, droWeights: gotQ });
      close(got.value, ref.loss, `step ${step}`);
      got.droWeights!.forEach((q, g) => close(q, ref.droWeights![g]!, `step ${step} q[${g}]`, 1e-7, 1e-6));
      got.dLossDce.forEach((w, i) => close(w, ref.weights[i]!, `step ${step} weight ${i}`));
      refQ = ref.droWeights;
      gotQ = got.droWeights;
    }
    assert.ok(gotQ!.every((q) => q > 0) && Math.abs(gotQ!.reduce((a, b) => a + b) - 1) < 1e-12);
  });

  it('no NaN from empty groups, in values or gradients, with extreme ce', () => {
    const o = objective('group never = tfidf() > 2\nloss = max(groups) + mean(ce[never]) + seqmean(ce[never]) + cvar(ce[never], 50%) + dro(groups, step = 50)');
    const inputs = inputsFor(o, { sizes: [3, 2], seed: 6, ce: (_, i) => [1e-7, 80, 0, 50, 3][i]! });
    const got = tensorPath(o, inputs);
    assert.ok(Number.isFinite(got.value));
    assert.ok(got.dLossDce.every(Number.isFinite), String(got.dLossDce));
    assert.deepEqual(got.groups.map((g) => g.tokens), [0, 5]);
  });

  it('an objective with no tokens at all evaluates to 0 with no weights', () => {
    const o = objective('group a = tfidf(top 30%)\nloss = λ * max(groups) + (1 - λ) * ce');
    const got = tensorPath(o, { sampleOf: [], ce: [], scores: { 'tfidf(smooth = true, sublinear = false)': [] } });
    assert.equal(got.value, 0);
    assert.deepEqual(got.dLossDce, []);
  });

  it('leaks no tensors', () => {
    const o = objective('group a = tfidf(top 30%)\nloss = dro(groups, step = 0.1) + cvar(ce, 30%)');
    const inputs = inputsFor(o, { sizes: [6, 6], seed: 8 });
    tensorPath(o, inputs);
    const before = tf.memory().numTensors;
    tensorPath(o, inputs);
    assert.equal(tf.memory().numTensors, before);
  });
});
