// The wasm BatchMatMul batch fix (fold the batch into rows, or one 2-D product per batch entry):
// values and gradients against plain loops and the cpu backend, for the folded case, the loop,
// a broadcast left operand, rank-4 attention shapes and the fallback; and no leaked wasm buffers.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { batchIndexMap, broadcastBatchShape } from '../../src/backend/kernels/batched-matmul.js';
import { matMulReference } from '../../src/backend/kernels/reference.js';
import { assertClose, noteWhenBlasMissing, onBackend, seeded, useBackend, WASM_BACKENDS } from './helpers.js';

const TOL = { abs: 1e-4, rel: 1e-4 };

interface Case {
  label: string;
  aShape: number[];
  bShape: number[];
  cpuAgrees?: boolean;
}

const CASES: Case[] = [
  { label: 'fold: [3,5,7] x [7,4]', aShape: [3, 5, 7], bShape: [7, 4] },
  { label: 'fold: [2,3,5,7] x [1,7,4]', aShape: [2, 3, 5, 7], bShape: [1, 7, 4] },
  { label: 'loop: [4,6,8] x [4,8,5]', aShape: [4, 6, 8], bShape: [4, 8, 5] },
  { label: 'loop, attention shape: [2,3,16,8] x [2,3,8,16]', aShape: [2, 3, 16, 8], bShape: [2, 3, 8, 16] },
  { label: 'broadcast a: [5,7] x [3,7,4]', aShape: [5, 7], bShape: [3, 7, 4] },
  { label: 'broadcast on two axes: [2,1,3,4] x [1,3,4,2]', aShape: [2, 1, 3, 4], bShape: [1, 3, 4, 2], cpuAgrees: false },
  { label: 'k = 1, m = 1: [3,1,1] x [3,1,2]', aShape: [3, 1, 1], bShape: [3, 1, 2] },
];

function size(shape: number[]): number {
  return shape.reduce((x, y) => x * y, 1);
}

/**
 * Broadcast matMul by plain loops, with the gradients of Σ W∘(A·B): each output batch entry picks
 * its operands' entries by coordinates, and a broadcast operand's gradient sums over its copies.
 */
function broadcastReference(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], w?: Float32Array): { values: Float64Array; shape: number[]; da: Float64Array; db: Float64Array } {
  const [m, k] = aShape.slice(-2) as [number, number];
  const n = bShape[bShape.length - 1]!;
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pad = (s: number[]) => [...Array<number>(rank - s.length).fill(1), ...s];
  const pa = pad(aBatch);
  const pb = pad(bBatch);
  const outBatch = pa.map((d, i) => Math.max(d, pb[i]!));
  const values = new Float64Array(size(outBatch) * m * n);
  const da = new Float64Array(a.length);
  const db = new Float64Array(b.length);
  for (let flat = 0; flat < size(outBatch); flat++) {
    const coords: number[] = [];
    let rest = flat;
    for (let axis = rank - 1; axis >= 0; axis--) {
      coords.unshift(rest % outBatch[axis]!);
      rest = Math.floor(rest / outBatch[axis]!);
    }
    const entry = (p: number[]) => coords.reduce((acc, c, axis) => acc * p[axis]! + (p[axis] === 1 ? 0 : c), 0);
    const ia = entry(pa);
    const ib = entry(pb);
    const part = matMulReference(a.subarray(ia * m * k, (ia + 1) * m * k), [m, k], b.subarray(ib * k * n, (ib + 1) * k * n), [k, n], false, false);
    values.set(part.values, flat * m * n);
    if (w === undefined) continue;
    for (let r = 0; r < m; r++) {
      for (let c = 0; c < n; c++) {
        const g = w[flat * m * n + r * n + c]!;
        for (let j = 0; j < k; j++) {
          da[ia * m * k + r * k + j]! += g * b[ib * k * n + j * n + c]!;
          db[ib * k * n + j * n + c]! += g * a[ia * m * k + r * k + j]!;
        }
      }
    }
  }
  return { values, shape: [...outBatch, m, n], da, db };
}

/** Value and gradients of L = Σ W∘matMul(a, b) on the active backend. */
function run(c: Case, a: Float32Array, b: Float32Array, w: Float32Array, outShape: number[]) {
  return tf.tidy(() => {
    const at = tf.tensor(a, c.aShape);
    const bt = tf.tensor(b, c.bShape);
    const weights = tf.tensor(w, outShape);
    const value = tf.matMul(at, bt);
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), weights)))([at, bt]);
    return { value: value.dataSync(), shape: value.shape, da: da!.dataSync(), db: db!.dataSync() };
  });
}

for (const backend of WASM_BACKENDS) describe(`backend: ${backend} BatchMatMul with a batch (fold or 2-D loop)`, () => {
  useBackend(backend);
  noteWhenBlasMissing();

  it('broadcastBatchShape and batchIndexMap follow numpy broadcasting', () => {
    assert.deepEqual(broadcastBatchShape([4], [4]), [4]);
    assert.deepEqual(broadcastBatchShape([2, 3], [1]), [2, 3]);
    assert.deepEqual(broadcastBatchShape([], [3]), [3]);
    assert.deepEqual(broadcastBatchShape([2, 1], [1, 3]), [2, 3]);
    assert.equal(broadcastBatchShape([2], [3]), undefined);
    assert.deepEqual([...batchIndexMap([2, 1], [2, 3])], [0, 0, 0, 1, 1, 1]);
    assert.deepEqual([...batchIndexMap([1, 3], [2, 3])], [0, 1, 2, 0, 1, 2]);
    assert.deepEqual([...batchIndexMap([3], [2, 3])], [0, 1, 2, 0, 1, 2]);
    assert.deepEqual([...batchIndexMap([], [2])], [0, 0]);
  });

  for (const c of CASES) {
    it(`${c.label}: value and gradients vs loops and cpu`, async () => {
      const a = seeded(size(c.aShape), 3 + c.aShape.length);
      const b = seeded(size(c.bShape), 7 + c.bShape.length);
      const shape = broadcastReference(a, c.aShape, b, c.bShape).shape;
      const w = seeded(size(shape), 11);
      const expected = broadcastReference(a, c.aShape, b, c.bShape, w);
      const wasm = run(c, a, b, w, expected.shape);
      assert.deepEqual(wasm.shape, expected.shape);
      assertClose(wasm.value, expected.values, TOL, 'value vs loops');
      assertClose(wasm.da, expected.da, TOL, 'dA vs loops');
      assertClose(wasm.db, expected.db, TOL, 'dB vs loops');
      // tfjs's cpu backend gets dB wrong when both operands broadcast (measured): loops only there.
      if (c.cpuAgrees === false) return;
      const cpu = await onBackend('cpu', () => run(c, a, b, w, expected.shape));
      assertClose(wasm.da, cpu.da, TOL, 'dA vs cpu');
      assertClose(wasm.db, cpu.db, TOL, 'dB vs cpu');
    });
  }

  it('extreme values pass through unchanged (no scaling or clamping in the copies)', () => {
    const a = new Float32Array([1e30, -1e30, 1e-30, 0, 3, -2, 1, 1]);
    const b = new Float32Array([1, 0, 0, 1, 2, 1, -1, 0.5]);
    const out = tf.tidy(() => tf.matMul(tf.tensor(a, [2, 2, 2]), tf.tensor(b, [2, 2, 2])).dataSync());
    const expected = matMulReference(a, [2, 2, 2], b, [2, 2, 2], false, false);
    assertClose(out, expected.values, { abs: 0, rel: 1e-6 }, 'extreme');
  });

  it('leaves no tensors or wasm buffers behind', () => {
    const a = tf.tensor(seeded(4 * 6 * 8, 1), [4, 6, 8]);
    const b = tf.tensor(seeded(4 * 8 * 5, 2), [4, 8, 5]);
    const w = tf.tensor(seeded(8 * 5, 3), [8, 5]);
    tf.matMul(a, b).dispose();
    const before = tf.memory();
    for (let i = 0; i < 3; i++) {
      tf.matMul(a, b).dispose();
      tf.matMul(a, w).dispose();
      tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]));
    }
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numBytes, before.numBytes);
    tf.dispose([a, b, w]);
  });
});
