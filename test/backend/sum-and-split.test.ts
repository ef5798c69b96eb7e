// The wasm Sum over leading axes (one pass, float64 accumulators) and SplitV as block copies:
// values against plain loops over all axis choices, keepDims, empty and size-1 axes; the gradient
// of split (a concat) and of a bias (a leading sum) against loops; int32 and bool splits; the
// fallbacks (innermost and all-axes sums, int32 sums) unchanged; no leaked buffers.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { leadingAxes } from '../../src/backend/kernels/sum-leading.js';
import { splitReference, sumReference } from '../../src/backend/kernels/reference.js';
import { assertClose, seeded, useBackend } from './helpers.js';

const TOL = { abs: 1e-5, rel: 1e-5 };

const SUM_CASES: Array<{ shape: number[]; axis: number | number[] | null }> = [
  { shape: [6, 5], axis: 0 },
  { shape: [9, 3, 2], axis: [0, 1] },
  { shape: [6, 5], axis: [0] },
  { shape: [6, 5], axis: 1 },
  { shape: [3, 4, 5], axis: [0, 1] },
  { shape: [3, 4, 5], axis: [1, 0] },
  { shape: [3, 4, 5], axis: 0 },
  { shape: [3, 4, 5], axis: [0, 2] },
  { shape: [3, 4, 5], axis: -1 },
  { shape: [3, 4, 5], axis: null },
  { shape: [2, 1, 3, 2], axis: [0, 1, 2] },
  { shape: [0, 4], axis: 0 },
  { shape: [4, 0], axis: 0 },
  { shape: [1, 7], axis: 0 },
];

function axesOf(axis: number | number[] | null, rank: number): number[] {
  if (axis === null) return Array.from({ length: rank }, (_, i) => i);
  return (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a));
}

describe('backend: wasm Sum over leading axes and SplitV', () => {
  useBackend('wasm');

  it('leadingAxes recognises exactly the leading prefixes that keep an axis', () => {
    assert.equal(leadingAxes(0, [4, 3]), 1);
    assert.equal(leadingAxes([1, 0], [2, 3, 4]), 2);
    assert.equal(leadingAxes([0, 0], [2, 3]), 1);
    assert.equal(leadingAxes([0, 1], [2, 3]), undefined, 'all axes');
    assert.equal(leadingAxes(null, [2, 3]), undefined);
    assert.equal(leadingAxes(1, [2, 3]), undefined);
    assert.equal(leadingAxes([0, 2], [2, 3, 4]), undefined);
  });

  for (const c of SUM_CASES) {
    for (const keepDims of [false, true]) {
      it(`sum of [${c.shape}] over ${JSON.stringify(c.axis)}, keepDims ${keepDims}: matches loops`, () => {
        const x = seeded(c.shape.reduce((a, b) => a * b, 1), 5 + c.shape.length);
        const axes = axesOf(c.axis, c.shape.length);
        const expected = sumReference(x, c.shape, axes);
        const out = tf.tidy(() => tf.sum(tf.tensor(x, c.shape), c.axis ?? undefined, keepDims));
        const shape = keepDims ? c.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : expected.shape;
        assert.deepEqual(out.shape, shape);
        assertClose(out.dataSync(), expected.values, TOL, 'sum');
        out.dispose();
      });
    }
  }

  it('an int32 sum over a leading axis stays int32 and exact (the original kernel)', () => {
    const out = tf.tidy(() => tf.sum(tf.tensor2d([[1, 2], [3, 4], [5, 2147483]], [3, 2], 'int32'), 0));
    assert.equal(out.dtype, 'int32');
    assert.deepEqual([...out.dataSync()], [9, 2147489]);
    out.dispose();
  });

  it('a bias gradient (a leading sum in the backward) matches loops', () => {
    const x = seeded(4 * 3 * 5, 2);
    const w = seeded(4 * 3 * 5, 3);
    const grad = tf.tidy(() => tf.grad((b: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.tensor3d(x, [4, 3, 5]), b), tf.tensor3d(w, [4, 3, 5]))))(tf.zeros([5])).dataSync());
    assertClose(grad, sumReference(w, [4, 3, 5], [0, 1]).values, TOL, 'bias gradient');
  });

  const SPLIT_CASES: Array<{ shape: number[]; split: number | number[]; axis: number }> = [
    { shape: [2, 4, 9], split: 3, axis: -1 },
    { shape: [2, 4, 9], split: [2, 5, 2], axis: 2 },
    { shape: [6, 4], split: [1, 5], axis: 0 },
    { shape: [3, 6, 2], split: [4, -1], axis: 1 },
    { shape: [3, 6, 2], split: [0, 6], axis: 1 },
    { shape: [5], split: [2, 3], axis: 0 },
  ];
  for (const c of SPLIT_CASES) {
    it(`split of [${c.shape}] into ${JSON.stringify(c.split)} along ${c.axis}: values and gradient match loops`, () => {
      const x = seeded(c.shape.reduce((a, b) => a * b, 1), 9);
      const axis = c.axis < 0 ? c.axis + c.shape.length : c.axis;
      const parts = tf.tidy(() => tf.split(tf.tensor(x, c.shape), c.split, c.axis).map((p) => ({ shape: p.shape, values: p.dataSync() })));
      const sizes = parts.map((p) => p.shape[axis]!);
      const expected = splitReference(x, c.shape, sizes, axis);
      parts.forEach((p, j) => {
        assert.deepEqual(p.shape, expected[j]!.shape);
        assertClose(p.values, expected[j]!.values, { abs: 0, rel: 0 }, `part ${j}`);
      });
      // Σ_j Σ (j+1)·part_j: the gradient is j+1 at every position that went to part j.
      const grad = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.addN(tf.split(t, c.split, c.axis).map((p, j) => tf.mul(tf.sum(p), j + 1))))(tf.tensor(x, c.shape)).dataSync());
      const positions = Float32Array.from(x, (_, i) => i);
      const owner = new Float64Array(x.length);
      splitReference(positions, c.shape, sizes, axis).forEach((part, j) => part.values.forEach((p) => (owner[p] = j + 1)));
      assertClose(grad, owner, { abs: 0, rel: 0 }, 'split gradient');
    });
  }

  it('splits int32 and bool tensors exactly', () => {
    const ints = tf.tidy(() => tf.split(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32'), [1, 2], 1).map((p) => [p.dtype, [...p.dataSync()]]));
    assert.deepEqual(ints, [['int32', [1, 4]], ['int32', [2, 3, 5, 6]]]);
    const bools = tf.tidy(() => tf.split(tf.tensor1d([true, false, true, true], 'bool'), 2).map((p) => [p.dtype, [...p.dataSync()]]));
    assert.deepEqual(bools, [['bool', [1, 0]], ['bool', [1, 1]]]);
  });

  it('leaves no tensors or wasm buffers behind', () => {
    const x = tf.tensor3d(seeded(2 * 4 * 9, 1), [2, 4, 9]);
    tf.dispose([...tf.split(x, 3, 2), tf.sum(x, [0, 1])]);
    const before = tf.memory();
    for (let i = 0; i < 3; i++) tf.dispose([...tf.split(x, [2, 7], 2), tf.sum(x, 0), tf.sum(x, [0, 1], true)]);
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numBytes, before.numBytes);
    x.dispose();
  });
});
