// BatchMatMul on the wasm backend through the system BLAS, reading and writing the wasm heap in place.
//
// Why: the products are most of a training step (docs/performance.md), and cblas_sgemm of an
// optimized BLAS runs them several times faster than the single-threaded wasm build. The operands
// stay where tfjs-backend-wasm keeps them: Float32Array views of the wasm memory are handed to
// cblas_sgemm as pointers (koffi passes a typed array's storage, no copy), and the result is written
// straight into an output the backend allocated. Transposed operands are the BLAS's own
// (transA/transB with the stored leading dimension), so nothing is materialised, and batches loop
// over pointer offsets; a batch only the left operand has is folded into its rows (one call).
//
// The switch: `setActiveBlas` is called by the backend loader (`wasm-blas` on, `wasm` off). The
// registered wasm kernels (kernels/install.ts) ask `activeBlas()` on every call, so one process can
// change between the two (the tests do) without re-registering anything.
import type { DataType, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { batchIndexMap, broadcastBatchShape } from '../kernels/batched-matmul.js';
import type { Bf16Products } from './bf16.js';
import type { Blas } from './library.js';
import { heapFloats, wasmInternals } from '../tfjs-internals.js';

let active: Blas | undefined;
let bf16: Bf16Products | undefined;

/** The BLAS the wasm matMul kernels use now, or undefined for XNNPACK. */
export function activeBlas(): Blas | undefined {
  return active;
}

export function setActiveBlas(blas: Blas | undefined): void {
  active = blas;
}

/** The bf16 products of train.precision = "bf16" (precision.ts), or undefined for float32 ones. */
export function activeBf16Products(): Bf16Products | undefined {
  return bf16;
}

export function setBf16Products(products: Bf16Products | undefined): void {
  bf16?.release();
  bf16 = products;
}

function product(xs: readonly number[]): number {
  return xs.reduce((x, y) => x * y, 1);
}

/**
 * C = op(A)·op(B) through `blas`, or undefined when the call is not one this path handles (not
 * float32, rank < 2, inner sizes or batches that do not match): the caller then runs the wasm
 * kernel, which reports the error in tfjs's words.
 */
export function blasMatMul(blas: Blas, params: Parameters<KernelFunc>[0]): TensorInfo | undefined {
  const a = params.inputs['a'];
  const b = params.inputs['b'];
  if (a === undefined || b === undefined || a.dtype !== 'float32' || b.dtype !== 'float32') return undefined;
  if (a.shape.length < 2 || b.shape.length < 2) return undefined;
  const transA = params.attrs?.['transposeA'] === true;
  const transB = params.attrs?.['transposeB'] === true;
  const [aRows, aCols] = a.shape.slice(-2) as [number, number];
  const [bRows, bCols] = b.shape.slice(-2) as [number, number];
  const m = transA ? aCols : aRows;
  const k = transA ? aRows : aCols;
  const n = transB ? bRows : bCols;
  if ((transB ? bCols : bRows) !== k) return undefined;
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const outBatch = broadcastBatchShape(aBatch, bBatch);
  if (outBatch === undefined) return undefined;

  const backend = wasmInternals(params.backend);
  const out = backend.makeOutput([...outBatch, m, n], 'float32');
  const entries = product(outBatch);
  if (entries * m * n === 0) return out;
  // Views after the allocation: growing the wasm memory detaches earlier ones.
  const c = heapFloats(backend, out);
  if (k === 0) {
    c.fill(0);
    return out;
  }
  const av = heapFloats(backend, a);
  const bv = heapFloats(backend, b);
  const batchA = product(aBatch);
  const batchB = product(bBatch);
  if (batchB === 1 && !transA) {
    // Consecutive [m, k] blocks of a are one [batchA·m, k] matrix; b is shared.
    blas.sgemm(false, transB, batchA * m, n, k, 1, av, aCols, bv, bCols, 0, c, n);
    return out;
  }
  const aIndex = batchIndexMap(aBatch, outBatch);
  const bIndex = batchIndexMap(bBatch, outBatch);
  const aSize = aRows * aCols;
  const bSize = bRows * bCols;
  for (let i = 0; i < entries; i++) {
    blas.sgemm(
      transA, transB, m, n, k, 1,
      av.subarray(aIndex[i]! * aSize, (aIndex[i]! + 1) * aSize), aCols,
      bv.subarray(bIndex[i]! * bSize, (bIndex[i]! + 1) * bSize), bCols,
      0, c.subarray(i * m * n, (i + 1) * m * n), n,
    );
  }
  return out;
}

/** `fallback` (the wasm kernel chain) unless a BLAS is active and takes the call. */
export function withBlas(fallback: KernelFunc): KernelFunc {
  return (params) => {
    const blas = active;
    return (blas !== undefined ? blasMatMul(blas, params) : undefined) ?? fallback(params);
  };
}
