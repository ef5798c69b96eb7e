// geluTanh (computed as x·sigmoid(2u)) against the tanh formula HF's gelu_new writes, by plain
// loops in float64: value and derivative, on ordinary, tiny, large and extreme inputs, on cpu and wasm.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { geluTanh } from '../../src/model/layers.js';

const K = Math.sqrt(2 / Math.PI);

function reference(x: number): { value: number; grad: number } {
  const u = K * (x + 0.044715 * x ** 3);
  const t = Math.tanh(u);
  return { value: 0.5 * x * (1 + t), grad: 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * K * (1 + 3 * 0.044715 * x * x) };
}

const INPUTS = [-60, -12, -5, -2.5, -1, -0.3, -1e-6, 0, 1e-6, 0.3, 1, 2.5, 5, 12, 60];

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`model: geluTanh on ${backend}`, () => {
    let previous: string | undefined;
    before(async () => {
      previous = tf.getBackend() ?? undefined;
      await initBackend(backend);
    });
    after(async () => {
      await tf.setBackend(previous ?? 'cpu');
    });

    it('value and derivative match the tanh formula (float64 loops)', () => {
      const x = tf.tensor1d(INPUTS);
      const value = geluTanh(x).dataSync();
      const grad = tf.grad((t: tf.Tensor) => tf.sum(geluTanh(t)))(x).dataSync();
      INPUTS.forEach((xi, i) => {
        const r = reference(xi);
        assert.ok(Math.abs(value[i]! - r.value) <= 1e-6 + 1e-5 * Math.abs(r.value), `gelu(${xi}) = ${value[i]}, expected ${r.value}`);
        assert.ok(Math.abs(grad[i]! - r.grad) <= 1e-5 + 1e-5 * Math.abs(r.grad), `gelu'(${xi}) = ${grad[i]}, expected ${r.grad}`);
        assert.ok(Number.isFinite(value[i]!) && Number.isFinite(grad[i]!), `finite at ${xi}`);
      });
      x.dispose();
    });
  });
}
