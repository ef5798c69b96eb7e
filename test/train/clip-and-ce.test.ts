import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { clipByGlobalNorm, clipScale, globalNorm } from '../../src/train/clip.js';
import { seeded, useBackend } from '../backend/helpers.js';
import { maskedMean } from '../../src/train/objective.js';

describe('gradient clipping by global norm', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('computes the norm over all tensors and scales by max/(norm+1e-6) only above the limit', () => {
    const grads = new Map([['a', tf.tensor([3, 0])], ['b', tf.tensor([[4]])]]);
    assert.ok(Math.abs(globalNorm(grads.values()) - 5) < 1e-6);
    const clipped = clipByGlobalNorm(grads, 1);
    assert.ok(Math.abs(clipped.norm - 5) < 1e-6);
    const scale = 1 / (5 + 1e-6);
    assert.ok(Math.abs(clipped.grads.get('a')!.dataSync()[0]! - 3 * scale) < 1e-6);
    assert.ok(Math.abs(clipped.grads.get('b')!.dataSync()[0]! - 4 * scale) < 1e-6);
    const unclipped = clipByGlobalNorm(grads, 10);
    assert.equal(unclipped.scale, 1);
    assert.equal(unclipped.grads.get('a'), grads.get('a'));
    assert.equal(clipByGlobalNorm(grads, 0).scale, 1); // 0 disables
    tf.dispose([...grads.values(), ...clipped.grads.values()]);
  });
});

describe('global norm on the wasm heap (the SIMD sum of squares)', () => {
  useBackend('wasm');

  it('equals the float64 sum over tensors of 0, 1, 5, 4,097 and 10,003 values within 1e-6 relative', () => {
    const sizes = [0, 1, 5, 4097, 10003];
    const values = sizes.map((n, i) => seeded(n, 11 + i));
    let sum = 0;
    for (const v of values) for (const x of v) sum += x * x;
    const tensors = values.map((v) => tf.tensor1d(v));
    const norm = globalNorm(tensors);
    assert.ok(Math.abs(norm - Math.sqrt(sum)) <= 1e-6 * Math.sqrt(sum), `${norm} vs ${Math.sqrt(sum)}`);
    assert.deepEqual(clipScale(new Map(tensors.map((t, i) => [String(i), t])), norm / 2), { norm, scale: norm / 2 / (norm + 1e-6) });
    tf.dispose(tensors);
  });
});

// Per-token ce itself (the fused head, the unfused reference head and the Float64 loops) is checked
// in test/head/fused-ce.test.ts; here, the masked mean and the model-level wiring of both heads.
describe('masked token mean', () => {
  it('masked mean counts masked tokens only, and is 0 (not NaN) for an empty mask', () => {
    const v = tf.tensor2d([[1, 2, 100]]);
    const m = tf.tensor2d([[1, 1, 0]]);
    assert.ok(Math.abs(maskedMean(v, m).dataSync()[0]! - 1.5) < 1e-6);
    assert.equal(maskedMean(v, tf.zeros([1, 3])).dataSync()[0], 0);
    // The gradient reaches masked-in tokens only.
    const g = tf.grad((x: tf.Tensor) => maskedMean(x, m))(v).dataSync();
    assert.deepEqual(Array.from(g), [0.5, 0.5, 0]);
    tf.dispose([v, m]);
  });
});

describe('meanCe objective: fused head against the unfused reference head', () => {
  it('gives the same loss and parameter gradients on a padded, masked batch', async () => {
    const { tinyLm, tinySamples } = await import('./helpers/tiny-lm.js');
    const { collate } = await import('../../src/data/batch.js');
    const { batchTensors, disposeBatchTensors } = await import('../../src/train/collate.js');
    const { meanCe, meanCePlain } = await import('../../src/train/objective.js');
    const model = tinyLm(12);
    const tensors = batchTensors(collate(tinySamples(3, 5, 11, [3, 8]), 0));
    const ctx = { step: 0, totalSteps: 1, training: true, microBatch: 0, microBatches: 1 };
    const vars = [...model.params.values()];
    const [fused, plain] = [meanCe, meanCePlain].map((o) => tf.variableGrads(() => o.computeLoss(model, tensors, ctx).loss, vars));
    assert.ok(Math.abs(fused!.value.dataSync()[0]! - plain!.value.dataSync()[0]!) < 1e-5);
    for (const name of Object.keys(plain!.grads)) {
      const [a, b] = [fused!.grads[name]!.dataSync(), plain!.grads[name]!.dataSync()];
      a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) < 1e-5, `${name}[${i}]: ${x} vs ${b[i]}`));
    }
    disposeBatchTensors(tensors);
    model.dispose();
  });
});
