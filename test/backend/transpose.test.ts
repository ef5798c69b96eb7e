// The wasm Transpose fix: the identity shares the buffer, swaps of adjacent axis groups are block
// copies (tiled loop, or cblas_somatcopy on wasm-blas) when nothing follows them, everything else
// the original.
// Values against loops for every permutation of ranks 2–4 (and size-1 and empty axes), the gradient
// against loops, int32 and bool, the recogniser itself, and no leaked buffers.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { transposeReference } from '../../src/backend/kernels/reference.js';
import { axisSwap } from '../../src/backend/kernels/transpose.js';
import { assertClose, noteWhenBlasMissing, seeded, useBackend, WASM_BACKENDS } from './helpers.js';

function permutations(n: number): number[][] {
  if (n === 1) return [[0]];
  return permutations(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)]));
}

const SHAPES = [[5, 7], [33, 18], [3, 4, 5], [2, 3, 4, 17], [2, 1, 3, 2], [3, 0, 2]];

describe('backend: recognising axis swaps', () => {
  it('axisSwap finds [prefix, A, B, suffix] → [prefix, B, A, suffix] and nothing else', () => {
    assert.deepEqual(axisSwap([1, 0], [4, 6]), { batch: 1, rows: 4, cols: 6, run: 1 });
    assert.deepEqual(axisSwap([0, 2, 1, 3], [2, 3, 4, 5]), { batch: 2, rows: 3, cols: 4, run: 5 });
    assert.deepEqual(axisSwap([2, 0, 1], [2, 3, 4]), { batch: 1, rows: 6, cols: 4, run: 1 });
    assert.deepEqual(axisSwap([1, 2, 0], [2, 3, 4]), { batch: 1, rows: 2, cols: 12, run: 1 });
    assert.deepEqual(axisSwap([0, 1, 3, 2], [2, 3, 4, 5]), { batch: 6, rows: 4, cols: 5, run: 1 });
    assert.equal(axisSwap([0, 1, 2], [2, 3, 4]), undefined, 'identity');
    assert.equal(axisSwap([2, 1, 0], [2, 3, 4]), undefined, 'a reversal is not one swap');
    assert.equal(axisSwap([1, 0, 3, 2], [2, 3, 4, 5]), undefined, 'two swaps');
  });
});

for (const backend of WASM_BACKENDS) describe(`backend: ${backend} Transpose`, () => {
  useBackend(backend);
  noteWhenBlasMissing();

  for (const shape of SHAPES) {
    it(`every permutation of [${shape}]: values match loops`, () => {
      const x = seeded(shape.reduce((a, b) => a * b, 1), shape.length);
      for (const perm of permutations(shape.length)) {
        const expected = transposeReference(x, shape, perm);
        const out = tf.tidy(() => tf.transpose(tf.tensor(x, shape), perm));
        assert.deepEqual(out.shape, expected.shape, `perm ${perm}`);
        assertClose(out.dataSync(), expected.values, { abs: 0, rel: 0 }, `perm ${perm}`);
        out.dispose();
      }
    });
  }

  it('gradient of Σ W∘transpose(x) is W transposed back, for swaps and others', () => {
    const shape = [2, 3, 4, 5];
    for (const perm of [[0, 2, 1, 3], [1, 0, 2, 3], [0, 1, 3, 2], [3, 2, 1, 0], [0, 1, 2, 3]]) {
      const outShape = perm.map((a) => shape[a]!);
      const w = seeded(120, 7);
      const grad = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.transpose(t, perm), tf.tensor(w, outShape))))(tf.zeros(shape)).dataSync());
      const inverse = perm.map((_, i) => perm.indexOf(i));
      assertClose(grad, transposeReference(w, outShape, inverse).values, { abs: 0, rel: 0 }, `perm ${perm}`);
    }
  });

  it('int32 and bool tensors transpose exactly', () => {
    const ints = tf.tidy(() => [...tf.transpose(tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32')).dataSync()]);
    assert.deepEqual(ints, [1, 4, 2, 5, 3, 6]);
    const bools = tf.tidy(() => [...tf.transpose(tf.tensor2d([true, false, false, true, true, false], [3, 2], 'bool')).dataSync()]);
    assert.deepEqual(bools, [1, 0, 1, 0, 1, 0]);
  });

  it('the identity shares the buffer: no copy, and the result outlives its input', () => {
    const x = tf.tensor2d(seeded(12, 3), [3, 4]);
    const expected = [...x.dataSync()];
    const buffers = tf.memory().numDataBuffers;
    const y = tf.transpose(x, [0, 1]);
    assert.equal(tf.memory().numDataBuffers, buffers, 'no new buffer');
    x.dispose();
    assert.deepEqual([...y.dataSync()], expected);
    y.dispose();
  });

  it('leaves no tensors or wasm buffers behind', () => {
    const x = tf.tensor(seeded(2 * 3 * 4 * 17, 1), [2, 3, 4, 17]);
    tf.transpose(x, [0, 2, 1, 3]).dispose();
    const before = tf.memory();
    for (const perm of [[0, 2, 1, 3], [0, 1, 3, 2], [3, 2, 1, 0], [0, 1, 2, 3]]) tf.transpose(x, perm).dispose();
    const after = tf.memory();
    assert.equal(after.numTensors, before.numTensors);
    assert.equal(after.numBytes, before.numBytes);
    x.dispose();
  });
});
