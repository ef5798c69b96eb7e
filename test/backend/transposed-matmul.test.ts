// The wasm BatchMatMul/_FusedMatMul fix (explicit Transpose for transposed operands): values
// against plain loops, gradients against plain loops and against the cpu backend, all transpose
// combinations, batched and broadcast shapes, size-1 axes; and no leaked buffers.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { matMulReference } from '../../src/backend/kernels/reference.js';
import { assertClose, noteWhenBlasMissing, onBackend, seeded, useBackend, WASM_BACKENDS } from './helpers.js';

interface Case {
  label: string;
  aBatch: number[];
  bBatch: number[];
  m: number;
  k: number;
  n: number;
}

const CASES: Case[] = [
  { label: '2-D', aBatch: [], bBatch: [], m: 5, k: 7, n: 3 },
  { label: 'batched', aBatch: [2], bBatch: [2], m: 4, k: 6, n: 5 },
  { label: 'rank 4', aBatch: [2, 3], bBatch: [2, 3], m: 3, k: 4, n: 2 },
  { label: 'broadcast b', aBatch: [3], bBatch: [1], m: 2, k: 5, n: 4 },
  { label: 'broadcast a', aBatch: [1], bBatch: [3], m: 4, k: 3, n: 2 },
  { label: 'm = 1', aBatch: [2], bBatch: [2], m: 1, k: 5, n: 4 },
  { label: 'k = 1', aBatch: [], bBatch: [], m: 3, k: 1, n: 4 },
];
const COMBOS: Array<[boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];
const TOL = { abs: 1e-5, rel: 1e-5 };

function operands(c: Case, tA: boolean, tB: boolean, seed: number) {
  const aShape = [...c.aBatch, ...(tA ? [c.k, c.m] : [c.m, c.k])];
  const bShape = [...c.bBatch, ...(tB ? [c.n, c.k] : [c.k, c.n])];
  const a = seeded(aShape.reduce((x, y) => x * y, 1), seed);
  const b = seeded(bShape.reduce((x, y) => x * y, 1), seed + 1);
  return { aShape, bShape, a, b };
}

/** Value and gradients of L = Σ W∘matMul(a, b) on the active backend. */
function valueAndGrads(o: ReturnType<typeof operands>, tA: boolean, tB: boolean, w: Float32Array) {
  return tf.tidy(() => {
    const a = tf.tensor(o.a, o.aShape);
    const b = tf.tensor(o.b, o.bShape);
    const c = tf.matMul(a, b, tA, tB);
    const weights = tf.tensor(w, c.shape);
    const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y, tA, tB), weights)))([a, b]);
    return { c: c.dataSync(), cShape: c.shape, da: da!.dataSync(), db: db!.dataSync() };
  });
}

/** Values of a [1, r, c] operand repeated to [batch, r, c]; other operands unchanged. */
function repeatBatch(values: Float32Array, shape: number[], batch: number[]): { values: Float32Array; shape: number[] } {
  const copies = batch.reduce((x, y) => x * y, 1) / shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const out = new Float32Array(values.length * copies);
  for (let i = 0; i < copies; i++) out.set(values, i * values.length);
  return { values: out, shape: [...batch, ...shape.slice(-2)] };
}

/** Sums consecutive blocks of `size` values (the batch copies) into one block. */
function sumBatchTo(values: Float64Array, size: number): Float64Array {
  const out = new Float64Array(size);
  for (let i = 0; i < values.length; i++) out[i % size]! += values[i]!;
  return out;
}

for (const backend of WASM_BACKENDS) describe(`backend: ${backend} matMul with transposed operands`, () => {
  useBackend(backend);
  noteWhenBlasMissing();

  for (const c of CASES) {
    for (const [tA, tB] of COMBOS) {
      it(`${c.label}, transposeA=${tA}, transposeB=${tB}: value and gradient`, async () => {
        const o = operands(c, tA, tB, 11 + c.m * 7 + c.k);
        const expected = matMulReference(o.a, o.aShape, o.b, o.bShape, tA, tB);
        const w = seeded(expected.values.length, 99);
        const wasm = valueAndGrads(o, tA, tB, w);
        assert.deepEqual(wasm.cShape, expected.shape);
        assertClose(wasm.c, expected.values, TOL, 'value');

        // dL/dop(A) = W·op(B)ᵀ and dL/dop(B) = op(A)ᵀ·W, transposed back where the operand was;
        // a broadcast operand is first repeated over the batch, its gradient then summed over it.
        const batch = c.aBatch.map((d, i) => Math.max(d, c.bBatch[i]!));
        const aFull = repeatBatch(o.a, o.aShape, batch);
        const bFull = repeatBatch(o.b, o.bShape, batch);
        const wShape = expected.shape;
        const da = tA ? matMulReference(bFull.values, bFull.shape, w, wShape, tB, true) : matMulReference(w, wShape, bFull.values, bFull.shape, false, !tB);
        const db = tB ? matMulReference(w, wShape, aFull.values, aFull.shape, true, tA) : matMulReference(aFull.values, aFull.shape, w, wShape, !tA, false);
        assertClose(wasm.da, sumBatchTo(da.values, o.a.length), TOL, 'dA vs loops');
        assertClose(wasm.db, sumBatchTo(db.values, o.b.length), TOL, 'dB vs loops');
        const cpu = await onBackend('cpu', () => valueAndGrads(o, tA, tB, w));
        assertClose(wasm.da, cpu.da, TOL, 'dA vs cpu');
        assertClose(wasm.db, cpu.db, TOL, 'dB vs cpu');
      });
    }
  }

  for (const [tA, tB] of COMBOS) {
    it(`fused matMul with bias and relu, transposeA=${tA}, transposeB=${tB}: value and gradient vs loops and cpu`, async () => {
      const c: Case = { label: 'fused', aBatch: [2], bBatch: [2], m: 3, k: 5, n: 4 };
      const o = operands(c, tA, tB, 5);
      const bias = seeded(c.n, 17);
      const run = () =>
        tf.tidy(() => {
          const a = tf.tensor(o.a, o.aShape);
          const b = tf.tensor(o.b, o.bShape);
          const biasT = tf.tensor1d(bias);
          const f = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) =>
            tf.fused.matMul({ a: x, b: y, transposeA: tA, transposeB: tB, bias: z, activation: 'relu' });
          const value = f(a, b, biasT);
          const grads = tf.grads((x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(tf.square(f(x, y, z))))([a, b, biasT]);
          return { value: value.dataSync(), grads: grads.map((g) => g.dataSync()) };
        });
      const wasm = run();
      const plain = matMulReference(o.a, o.aShape, o.b, o.bShape, tA, tB);
      const expected = plain.values.map((v, i) => Math.max(0, v + bias[i % c.n]!));
      assertClose(wasm.value, expected, TOL, 'fused value');
      const cpu = await onBackend('cpu', run);
      wasm.grads.forEach((g, i) => assertClose(g, cpu.grads[i]!, TOL, `fused gradient ${i}`));
    });
  }

  it('frees the transposed copies (no buffers left behind)', () => {
    const a = tf.tensor(seeded(24, 1), [2, 4, 3]);
    const b = tf.tensor(seeded(40, 2), [2, 5, 4]);
    const before = tf.memory().numDataBuffers;
    const c = tf.matMul(a, b, true, true) as tf.Tensor; // [2,3,5]
    assert.deepEqual(c.shape, [2, 3, 5]);
    assert.equal(tf.memory().numDataBuffers, before + 1, 'only the result is new');
    tf.dispose([a, b, c]);
  });
});
