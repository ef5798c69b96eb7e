// The tensors whose buffers tfjs-backend-wasm's own products (BatchMatMul and _FusedMatMul through
// XNNPACK) have read. Those kernels keep an XNNPACK operator per operand tensor, its weights packed
// into it, for as long as the tensor lives: a buffer changed in place after such a product would
// next be multiplied in its old values. adamwInPlace (adamw.ts) asks here and updates such a
// parameter through new tensors instead, which gives it a new buffer the cache has never seen.
// Measured: with AdamW in place on pure wasm (XNNPACK products), a quickstart run's third step lost
// 10% against the torch engine; with this, the per-step losses agree within 1e-3 again.
// On wasm-blas the products are cblas_sgemm calls on the heap (../blas/matmul.ts), which keep
// nothing, and only a product the BLAS path declines reaches XNNPACK (and is recorded here).
import type { KernelFunc } from '@tensorflow/tfjs';

// dataIds are objects that live as long as their buffer: a WeakSet forgets them with it.
const packed = new WeakSet<object>();

/** `kernel` (an XNNPACK product), recording every operand's buffer before it runs. */
export function recordPackedOperands(kernel: KernelFunc): KernelFunc {
  return (params) => {
    for (const input of Object.values(params.inputs)) if (input !== undefined) packed.add(input.dataId);
    return kernel(params);
  };
}

/** Whether an XNNPACK product has read the buffer of `dataId` (so it may hold a packed copy). */
export function readByWasmProducts(dataId: object): boolean {
  return packed.has(dataId);
}
