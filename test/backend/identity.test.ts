// The wasm Identity fix (tf.clone shares the buffer, reference-counted, instead of copying it):
// values, independence of disposal, a variable assigned after being cloned keeps the clone's old
// value, gradients that save tensors for backward still match the cpu backend, and nothing leaks.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { assertClose, onBackend, seeded, useBackend } from './helpers.js';

function dataIds(): number {
  return tf.backend().numDataIds();
}

describe('backend: wasm Identity shares buffers', () => {
  useBackend('wasm');

  it('a clone has the same values and survives disposal of the original; both freed at the end', () => {
    const before = dataIds();
    const x = tf.tensor(seeded(12, 1), [3, 4]);
    const y = tf.clone(x);
    assert.equal(dataIds(), before + 1, 'the clone adds no buffer');
    assert.deepEqual(y.shape, [3, 4]);
    const expected = x.dataSync().slice();
    x.dispose();
    assertClose(y.dataSync(), expected, { abs: 0, rel: 0 }, 'clone after the original is gone');
    y.dispose();
    assert.equal(dataIds(), before);
  });

  it('a variable assigned after being cloned leaves the clone with the old value', () => {
    const v = tf.variable(tf.tensor1d([1, 2, 3]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([7, 8, 9]));
    assert.deepEqual(Array.from(snapshot.dataSync()), [1, 2, 3]);
    assert.deepEqual(Array.from(v.dataSync()), [7, 8, 9]);
    tf.dispose([v, snapshot]);
  });

  it('int32 and bool tensors clone too', () => {
    const i = tf.tensor1d([1, -2, 3], 'int32');
    const b = tf.tensor1d([1, 0, 1], 'bool');
    const [ci, cb] = [tf.clone(i), tf.clone(b)];
    assert.equal(ci.dtype, 'int32');
    assert.equal(cb.dtype, 'bool');
    assert.deepEqual(Array.from(ci.dataSync()), [1, -2, 3]);
    assert.deepEqual(Array.from(cb.dataSync()), [1, 0, 1]);
    tf.dispose([i, b, ci, cb]);
  });

  it('gradients through ops that save inputs and outputs match cpu, and leave nothing behind', async () => {
    const xs = seeded(6 * 5, 3);
    const ws = seeded(5 * 4, 4);
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor(xs, [6, 5]);
        const w = tf.variable(tf.tensor(ws, [5, 4]));
        const f = () => tf.sum(tf.mul(tf.tanh(tf.matMul(x, w)), tf.exp(tf.softmax(tf.matMul(x, w))))) as tf.Scalar;
        const { value, grads } = tf.variableGrads(f, [w]);
        const out = { value: value.dataSync()[0]!, grad: Array.from(grads[w.name]!.dataSync()) };
        w.dispose();
        return out;
      });
    run();
    const before = dataIds();
    const wasm = run();
    assert.equal(dataIds(), before, 'no buffers leaked by a gradient step');
    const cpu = await onBackend('cpu', run);
    assertClose([wasm.value], [cpu.value], { abs: 1e-5, rel: 1e-5 }, 'value');
    assertClose(wasm.grad, cpu.grad, { abs: 1e-5, rel: 1e-5 }, 'gradient');
  });
});
