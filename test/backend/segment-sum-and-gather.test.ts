// UnsortedSegmentSum (added on wasm, replaced on cpu) and GatherV2 with batchDims (corrected on
// wasm): values against plain loops; gather's gradient (which runs UnsortedSegmentSum) against a
// scatter-add by loops. Sweeps repeated ids, empty segments, dropped out-of-range ids, ranks, dtypes.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs';
import { gatherReference, segmentSumReference } from '../../src/backend/kernels/reference.js';
import { assertClose, seeded, useBackend } from './helpers.js';

const TOL = { abs: 1e-5, rel: 1e-5 };

interface SegmentCase {
  label: string;
  shape: number[];
  ids: number[];
  idsShape: number[];
  numSegments: number;
}

const SEGMENT_CASES: SegmentCase[] = [
  { label: 'repeated ids', shape: [6, 3], ids: [2, 2, 0, 2, 1, 0], idsShape: [6], numSegments: 3 },
  { label: 'empty segments', shape: [4, 2], ids: [5, 0, 5, 3], idsShape: [4], numSegments: 8 },
  { label: 'rank-2 ids over rank-3 data', shape: [2, 3, 4], ids: [1, 0, 1, 1, 3, 0], idsShape: [2, 3], numSegments: 4 },
  { label: 'rank-1 data', shape: [5], ids: [0, 1, 0, 1, 4], idsShape: [5], numSegments: 5 },
  { label: 'out-of-range ids are dropped', shape: [5, 2], ids: [-1, 0, 3, 1, 7], idsShape: [5], numSegments: 3 },
  { label: 'no rows', shape: [0, 3], ids: [], idsShape: [0], numSegments: 2 },
];

// unsortedSegmentSum is typed for 1-D ids, but the kernel (and TensorFlow) take any prefix of x's shape.
const ids = (c: SegmentCase): tf.Tensor1D => tf.tensor(c.ids, c.idsShape as number[], 'int32') as unknown as tf.Tensor1D;

function checkSegmentSums(): void {
  for (const c of SEGMENT_CASES) {
    it(`${c.label}: float32 and int32 match the loop reference`, () => {
      const values = seeded(c.shape.reduce((a, b) => a * b, 1), c.shape.length * 13 + c.numSegments);
      const expected = segmentSumReference(values, c.shape, c.ids, c.idsShape.length, c.numSegments);
      const out = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor(values, c.shape), ids(c), c.numSegments));
      assert.deepEqual(out.shape, expected.shape);
      assertClose(out.dataSync(), expected.values, TOL, 'float32');
      out.dispose();

      const ints = Array.from(values, (v) => Math.round(v * 10));
      const expectedInts = segmentSumReference(ints, c.shape, c.ids, c.idsShape.length, c.numSegments);
      const outInts = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor(ints, c.shape, 'int32'), ids(c), c.numSegments));
      assert.equal(outInts.dtype, 'int32');
      assert.deepEqual(Array.from(outInts.dataSync()), Array.from(expectedInts.values));
      outInts.dispose();
    });
  }

  it('matches the loop reference on random shapes and ids (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 1000 }),
        (rows, width, numSegments, seed) => {
          const ids = Array.from(seeded(rows, seed), (v) => Math.floor(((v + 2) / 4) * numSegments));
          const values = seeded(rows * width, seed + 1);
          const expected = segmentSumReference(values, [rows, width], ids, 1, numSegments);
          const out = tf.tidy(() => tf.unsortedSegmentSum(tf.tensor2d(values, [rows, width]), tf.tensor1d(ids, 'int32'), numSegments).dataSync());
          assertClose(out, expected.values, TOL, 'random case');
        },
      ),
      { numRuns: 40 },
    );
  });
}

/** Gradient of Σ W∘gather(table, ids) w.r.t. table, by loops: scatter-add W's rows into the ids' rows. */
function embeddingGradReference(vocab: number, width: number, ids: number[], w: Float32Array): Float64Array {
  const out = new Float64Array(vocab * width);
  ids.forEach((id, i) => {
    for (let j = 0; j < width; j++) out[id * width + j]! += w[i * width + j]!;
  });
  return out;
}

function checkEmbeddingGradient(): void {
  it('embedding gradient (gather over a [batch, time] id matrix) matches the scatter-add by loops', () => {
    const vocab = 11;
    const width = 4;
    const ids = [3, 3, 0, 10, 7, 3, 0, 1]; // repeats; ids 2, 4-6, 8, 9 never used
    const w = seeded(ids.length * width, 3);
    const grad = tf.tidy(() => {
      const table = tf.tensor2d(seeded(vocab * width, 4), [vocab, width]);
      const weights = tf.tensor3d(w, [2, 4, width]);
      const idMatrix = tf.tensor2d(ids, [2, 4], 'int32');
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idMatrix), weights)))(table).dataSync();
    });
    assertClose(grad, embeddingGradReference(vocab, width, ids, w), TOL, 'embedding gradient');
  });

  it('gather along axis 1 (a transposed table): gradient matches loops', () => {
    const [width, vocab] = [3, 6];
    const ids = [5, 1, 5];
    const w = seeded(width * ids.length, 8);
    const grad = tf.tidy(() => {
      const table = tf.tensor2d(seeded(width * vocab, 9), [width, vocab]);
      const weights = tf.tensor2d(w, [width, ids.length]);
      return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(ids, 'int32'), 1), weights)))(table).dataSync();
    });
    const expected = new Float64Array(width * vocab);
    for (let r = 0; r < width; r++) ids.forEach((id, j) => (expected[r * vocab + id]! += w[r * ids.length + j]!));
    assertClose(grad, expected, TOL, 'axis-1 gradient');
  });
}

interface GatherCase {
  label: string;
  xShape: number[];
  indices: number[];
  indicesShape: number[];
  axis: number;
  batchDims: number;
}

const GATHER_CASES: GatherCase[] = [
  { label: 'batchDims 0', xShape: [4, 3], indices: [3, 0, 3], indicesShape: [3], axis: 0, batchDims: 0 },
  { label: 'batchDims 0, rows copied as blocks (slice ≥ 16)', xShape: [5, 2, 10], indices: [4, 4, 0, 2], indicesShape: [2, 2], axis: 0, batchDims: 0 },
  { label: 'batchDims 0, axis 1', xShape: [2, 5, 3], indices: [4, 0, 4], indicesShape: [3], axis: 1, batchDims: 0 },
  { label: 'batchDims 0, no indices', xShape: [4, 3], indices: [], indicesShape: [0], axis: 0, batchDims: 0 },
  { label: 'batchDims 1, axis 1', xShape: [3, 5], indices: [0, 1, 2, 3, 4, 0], indicesShape: [3, 2], axis: 1, batchDims: 1 },
  { label: 'batchDims 1, axis 1, trailing slice', xShape: [2, 4, 3], indices: [3, 3, 0, 1], indicesShape: [2, 2], axis: 1, batchDims: 1 },
  { label: 'batchDims 1, axis 2 (outer axis between)', xShape: [2, 3, 4, 2], indices: [1, 3, 0, 0, 2, 1], indicesShape: [2, 3], axis: 2, batchDims: 1 },
  { label: 'batchDims 2', xShape: [2, 3, 4], indices: [0, 3, 1, 1, 2, 2, 3, 0, 1, 2, 0, 0], indicesShape: [2, 3, 2], axis: 2, batchDims: 2 },
];

function checkGather(): void {
  for (const c of GATHER_CASES) {
    it(`gather ${c.label}: value matches loops; batchDims ≤ 1 gradient is consistent`, () => {
      const x = seeded(c.xShape.reduce((a, b) => a * b, 1), 21);
      const expected = gatherReference(x, c.xShape, c.indices, c.indicesShape, c.axis, c.batchDims);
      const out = tf.tidy(() => tf.gather(tf.tensor(x, c.xShape), tf.tensor(c.indices, c.indicesShape, 'int32'), c.axis, c.batchDims));
      assert.deepEqual(out.shape, expected.shape);
      assertClose(out.dataSync(), expected.values, TOL, 'gather value');
      out.dispose();
      if (c.batchDims <= 1) {
        // Σ gather(x)·1 counts how often each element is picked: compare with counting by loops.
        const grad = tf.tidy(() =>
          tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor(c.indices, c.indicesShape, 'int32'), c.axis, c.batchDims)))(tf.tensor(x, c.xShape)).dataSync(),
        );
        const positions = Float32Array.from(x, (_, i) => i);
        const picked = gatherReference(positions, c.xShape, c.indices, c.indicesShape, c.axis, c.batchDims).values;
        const counts = new Float64Array(x.length);
        for (const p of picked) counts[p]! += 1;
        assertClose(grad, counts, TOL, 'gather gradient');
      }
    });
  }

  it('gather rejects an out-of-range index with batchDims 1', () => {
    assert.throws(() => tf.tidy(() => tf.gather(tf.zeros([2, 3]), tf.tensor2d([[0], [3]], [2, 1], 'int32'), 1, 1)), /index value 3/);
  });

  it('gather rejects an out-of-range index with batchDims 0', () => {
    assert.throws(() => tf.tidy(() => tf.gather(tf.zeros([2, 3]), tf.tensor1d([0, 2], 'int32'))), /index value 2/);
  });

  it('gather of int32 and bool tables is exact', () => {
    const ints = tf.tidy(() => [...tf.gather(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), tf.tensor1d([2, 0], 'int32')).dataSync()]);
    assert.deepEqual(ints, [5, 6, 1, 2]);
    const bools = tf.tidy(() => [...tf.gather(tf.tensor1d([true, false, true], 'bool'), tf.tensor1d([1, 2, 1], 'int32')).dataSync()]);
    assert.deepEqual(bools, [0, 1, 0]);
  });
}

describe('backend: UnsortedSegmentSum and gather on wasm', () => {
  useBackend('wasm');
  checkSegmentSums();
  checkEmbeddingGradient();
  checkGather();
});

describe('backend: UnsortedSegmentSum and gather on cpu (fast segment sum)', () => {
  useBackend('cpu');
  checkSegmentSums();
  checkEmbeddingGradient();
  checkGather();
});
