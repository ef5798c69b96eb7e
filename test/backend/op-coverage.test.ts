// Ops a GPT/llama step or an objective may use: on wasm each one runs forward and backward and
// agrees with the cpu backend (value and gradient). Einsum has no gradient in tfjs (any backend),
// so only its value is compared.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { assertClose, onBackend, seeded, useBackend } from './helpers.js';

const TOL = { abs: 1e-5, rel: 1e-4 };
const int = (values: number[][]) => tf.tensor2d(values, undefined, 'int32');

const OPS: Record<string, (t: tf.Tensor) => tf.Tensor> = {
  erf: (t) => tf.erf(t),
  tanh: (t) => tf.tanh(t),
  softplus: (t) => tf.softplus(t),
  sigmoid: (t) => tf.sigmoid(t),
  'cumsum (exclusive, reverse)': (t) => tf.cumsum(t, 1, true, true),
  max: (t) => tf.max(t, 1),
  softmax: (t) => tf.softmax(t),
  logSoftmax: (t) => tf.logSoftmax(t),
  logSumExp: (t) => tf.logSumExp(t, 1),
  'pow (tensor exponent)': (t) => tf.pow(tf.add(tf.abs(t), 0.5), t),
  rsqrt: (t) => tf.rsqrt(tf.add(tf.abs(t), 0.1)),
  sin: (t) => tf.sin(t),
  cos: (t) => tf.cos(t),
  'where on a comparison of the input': (t) => tf.where(tf.greater(t, 0), t, tf.mul(t, 2)),
  'where on logical and/or/not': (t) =>
    tf.where(tf.logicalOr(tf.logicalAnd(tf.less(t, 1), tf.notEqual(t, 0)), tf.logicalNot(tf.lessEqual(t, 1.5))), t, 0),
  prod: (t) => tf.prod(t, 1),
  'oneHot mask': (t) => tf.mul(t, tf.oneHot(tf.tensor1d([0, 4, 2], 'int32'), 5)),
  'gather batchDims 1': (t) => tf.gather(t, int([[0, 1], [2, 3], [4, 0]]), 1, 1),
  'gather axis 1 with repeats': (t) => tf.gather(t, tf.tensor1d([4, 4, 0], 'int32'), 1),
  'matMul rank 3 × rank 2': (t) => tf.matMul(tf.reshape(tf.tile(t, [2, 1]), [2, 3, 5]), tf.transpose(t)),
  'fused matMul batched with bias': (t) =>
    tf.fused.matMul({ a: tf.stack([t, t]), b: tf.stack([tf.transpose(t), tf.transpose(t)]), bias: tf.tensor1d([0.1, -0.2, 0.3]), activation: 'elu' }),
  'squared difference': (t) => tf.squaredDifference(t, 0.3),
  'clip by value': (t) => tf.clipByValue(t, -0.5, 0.5),
  'moments variance': (t) => tf.moments(t, 1).variance,
};

describe('backend: op coverage on wasm against cpu', () => {
  useBackend('wasm');
  const x = () => tf.tensor2d(seeded(15, 42), [3, 5]);

  for (const [name, f] of Object.entries(OPS)) {
    it(`${name}: value and gradient`, async () => {
      const run = () =>
        tf.tidy(() => {
          const value = f(x()).dataSync();
          const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), 1.5)))(x()).dataSync();
          return { value, grad };
        });
      const wasm = run();
      const cpu = await onBackend('cpu', run);
      assertClose(wasm.value, cpu.value, TOL, 'value');
      assertClose(wasm.grad, cpu.grad, TOL, 'gradient');
    });
  }

  for (const equation of ['ij,kj->ik', 'ij,jk->ik', 'bij,bjk->bik', 'ij->ji', 'ij->i', 'ij,ij->']) {
    it(`einsum '${equation}': value (forward only)`, async () => {
      const operands = () => {
        if (equation.startsWith('bij')) return [tf.tensor3d(seeded(24, 1), [2, 3, 4]), tf.tensor3d(seeded(16, 2), [2, 4, 2])];
        if (equation === 'ij->i') return [tf.tensor2d(seeded(12, 3), [3, 4])];
        if (equation === 'ij->ji') return [tf.tensor2d(seeded(6, 4), [2, 3])];
        if (equation === 'ij,jk->ik') return [tf.tensor2d(seeded(6, 5), [2, 3]), tf.tensor2d(seeded(12, 6), [3, 4])];
        return [tf.tensor2d(seeded(6, 7), [2, 3]), tf.tensor2d(seeded(6, 8), [2, 3])];
      };
      const run = () => tf.tidy(() => tf.einsum(equation, ...operands()).dataSync());
      const wasm = run();
      const cpu = await onBackend('cpu', run);
      assertClose(wasm, cpu, TOL, 'einsum');
    });
  }

  it('einsum leaves no buffers behind', () => {
    const a = tf.tensor2d(seeded(6, 1), [2, 3]);
    const before = tf.memory().numDataBuffers;
    const out = tf.einsum('ij,kj->ik', a, a);
    assert.equal(tf.memory().numDataBuffers, before + 1);
    tf.dispose([a, out]);
  });
});
