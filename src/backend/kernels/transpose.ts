// Transpose on wasm: shared buffer for the identity, block copies or the BLAS for axis swaps.
//
// Why: tfjs-backend-wasm 4.22's Transpose is a generic strided loop: transposing the loss head's
// [8192, 256] weight took 17 ms of CPU per `small` step, about 8 ns per element. Three cases are
// handled here, everything else goes to the original:
//  * the identity permutation (tf.gather's gradient transposes by it when gathering along axis 0):
//    nothing moves, so the output shares the input's buffer by reference count, as Identity does;
//  * a swap of two adjacent groups of axes with nothing after them, perm = [prefix…, B…, A…] for an
//    input [prefix, A, B] (matrix transposes, batched or not): a batch of [A, B] matrices. Through
//    the BLAS's out-of-place transpose (cblas_somatcopy, an OpenBLAS extension: 0.9 ms for that
//    weight) when one is active, else a tiled loop (7 ms). Swaps that move runs of several values
//    ([0,2,1,3] of attention heads) stay with the original, which is as fast there (measured).
import type { DataType, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { wasmInternals, type HeapArray } from '../tfjs-internals.js';


/** Row-major out-of-place transpose: b[j·ldb + i] = a[i·lda + j] for an [rows, cols] a. */
export type Omatcopy = (rows: number, cols: number, a: Float32Array, lda: number, b: Float32Array, ldb: number) => void;

/** A swap of adjacent axis groups, as element counts: [prefix, A, B, suffix] → [prefix, B, A, suffix]. */
export interface AxisSwap {
  batch: number;
  rows: number;
  cols: number;
  run: number;
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * b, 1);
}

/**
 * The swap `perm` makes of `shape`, or undefined when it is not one. perm must be
 * [0..p−1, q..r−1, p..q−1, r..n−1] with p < q < r (size-1 axes are not special-cased).
 */
export function axisSwap(perm: readonly number[], shape: readonly number[]): AxisSwap | undefined {
  const n = perm.length;
  let p = 0;
  while (p < n && perm[p] === p) p++;
  if (p === n) return undefined; // identity
  const q = perm[p]!; // the first axis of group B
  let r = q;
  let i = p;
  while (i < n && perm[i] === r) {
    i++;
    r++;
  }
  // Now perm[p..i) = q..r−1; group A = p..q−1 must follow, then the suffix r..n−1 in order.
  for (let a = p; a < q; a++, i++) if (perm[i] !== a) return undefined;
  for (let s = r; s < n; s++, i++) if (perm[i] !== s) return undefined;
  return { batch: product(shape.slice(0, p)), rows: product(shape.slice(p, q)), cols: product(shape.slice(q, r)), run: product(shape.slice(r)) };
}

/** out[b, j, i] = x[b, i, j] for a swap with run 1, in 16 × 16 tiles (reads stay in cache lines). */
export function swapInto(x: HeapArray, swap: AxisSwap, out: HeapArray): void {
  const { batch, rows, cols } = swap;
  const T = 16;
  for (let b = 0; b < batch; b++) {
    const base = b * rows * cols;
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(j0 + T, cols);
      for (let i0 = 0; i0 < rows; i0 += T) {
        const i1 = Math.min(i0 + T, rows);
        for (let j = j0; j < j1; j++) {
          const to = base + j * rows;
          for (let i = i0; i < i1; i++) out[to + i] = x[base + i * cols + j]!;
        }
      }
    }
  }
}

export function wrapTranspose(original: KernelFunc, omatcopy: () => Omatcopy | undefined): KernelFunc {
  return (params) => {
    const x = params.inputs['x'];
    if (x === undefined) throw new Error('Transpose: expected input x');
    const perm = params.attrs?.['perm'] as number[] | undefined;
    if (perm === undefined || x.dtype === 'string' || x.dtype === 'complex64' || perm.length !== x.shape.length) return original(params);
    const backend = wasmInternals(params.backend);
    const outShape = perm.map((axis) => x.shape[axis]!);
    if (perm.every((axis, i) => axis === i)) {
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: outShape, dtype: x.dtype };
    }
    const swap = axisSwap(perm, x.shape);
    if (swap === undefined || swap.run !== 1) return original(params);
    const out = backend.makeOutput(outShape, x.dtype);
    if (swap.batch * swap.rows * swap.cols * swap.run === 0) return out; // the BLAS rejects empty matrices
    // Views after the allocation: growing the wasm memory detaches earlier ones.
    const from = backend.typedArrayFromHeap(x);
    const to = backend.typedArrayFromHeap(out);
    const blas = omatcopy();
    if (blas !== undefined && from instanceof Float32Array && to instanceof Float32Array) {
      const size = swap.rows * swap.cols;
      for (let b = 0; b < swap.batch; b++) {
        blas(swap.rows, swap.cols, from.subarray(b * size, (b + 1) * size), swap.cols, to.subarray(b * size, (b + 1) * size), swap.rows);
      }
    } else {
      swapInto(from, swap, to);
    }
    return out;
  };
}
