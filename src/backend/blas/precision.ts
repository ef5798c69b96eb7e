// The products' precision of this process's native paths: float32 (the default) or bf16
// (train.precision = "bf16": bf16.ts says what changes and why). One switch, set by the tfjs engine
// before training and back to float32 when the run is disposed.
import { wasmHeap } from '../simd/module.js';
import { activeNativeKernels } from '../native-kernels/active.js';
import { Bf16Products, findBf16Gemm } from './bf16.js';
import { activeBlas, setBf16Products } from './matmul.js';

export type ProductPrecision = 'fp32' | 'bf16';

export type PrecisionOutcome = { ok: true; note: string } | { ok: false; reason: string };

/** Makes the native trunk's and head's products `precision`, or says why bf16 cannot run here. */
export async function setProductPrecision(precision: ProductPrecision): Promise<PrecisionOutcome> {
  const native = activeNativeKernels();
  if (precision === 'fp32') {
    setBf16Products(undefined);
    native?.useThreads(native.threads);
    return { ok: true, note: 'products in float32' };
  }
  const blas = activeBlas();
  const heap = wasmHeap();
  if (blas === undefined || heap === undefined) {
    return { ok: false, reason: 'train.precision = "bf16" needs the wasm-blas backend (the native trunk multiplies through it); this run has no system BLAS bound' };
  }
  // With the native kernels' pool running the products, bf16 products are split over it too, each
  // part a single-threaded oneDNN call: OpenMP must start with one thread, so the variable is set
  // before oneDNN (and its OpenMP) loads, unless the user set it.
  const pooled = native !== undefined && native.threads > 1 && native.sgemm !== undefined;
  if (pooled && process.env['OMP_NUM_THREADS'] === undefined) process.env['OMP_NUM_THREADS'] = '1';
  const found = await findBf16Gemm();
  if (!found.ok) return { ok: false, reason: `train.precision = "bf16": ${found.reason}` };
  let gemm = found.gemm;
  let threads = '';
  if (pooled) {
    const split = process.env['OMP_NUM_THREADS'] === '1' ? native.splitBf16(found.library) : `OMP_NUM_THREADS=${process.env['OMP_NUM_THREADS']} is set`;
    if (typeof split === 'string') {
      // oneDNN's own OpenMP threads and a spinning pool contend for the cores (a toy step 12 → 109 ms).
      native.useThreads(1);
      threads = `; the native element-wise kernels on one thread (not split over their pool: ${split})`;
    } else {
      native.useThreads(native.threads);
      gemm = split;
      threads = `; split over the native kernels' ${native.threads} threads, oneDNN on one thread a part`;
    }
  }
  setBf16Products(new Bf16Products(gemm, blas.sgemm, heap.backend, heap.simd));
  return { ok: true, note: `products of at least 2²¹ m·n·k in bf16 through ${found.library} (dnnl_gemm_bf16bf16f32, float32 accumulation); weights, gradients and optimizer state in float32${threads}` };
}
