// Registers our kernel fixes with tfjs's global kernel registry, so that every op and every
// gradient that dispatches to these kernels on the named backend picks them up. Idempotent:
// a kernel we installed is recognised and left alone.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc } from '@tensorflow/tfjs';
import { activeBlas, withBlas } from '../blas/matmul.js';
import { ADAMW_KERNEL, cpuAdamWConfig, wasmAdamWConfig } from './adamw.js';
import { makeEinsum } from './einsum.js';
import { wrapBatchedMatMul } from './batched-matmul.js';
import { wrapBatchedFusedMatMul } from './fused-matmul-batched.js';
import { wrapGather } from './gather.js';
import { recordPackedOperands } from './packed-operands.js';
import { wrapSharedIdentity } from './identity.js';
import { wrapSplit } from './split.js';
import { wrapTranspose } from './transpose.js';
import { wrapLeadingSum } from './sum-leading.js';
import { cpuSegmentSumConfig, wasmSegmentSumConfig } from './segment-sum.js';
import { transposedMatMulConfig, wrapTransposedMatMul } from './transposed-matmul.js';

// Our kernels carry this mark. A global symbol, not a module-level WeakSet: the tfjs registry is
// process-wide, and a second instance of this module (bundlers, test loaders) must still see them.
const MARK = Symbol.for('sftgoc.backend.kernelFix');

function mark(f: KernelFunc): void {
  Object.defineProperty(f, MARK, { value: true });
}

function findKernel(kernelName: string, backendName: string): KernelConfig | undefined {
  // getKernel returns undefined (typed as KernelConfig) when nothing is registered.
  return tf.getKernel(kernelName, backendName) as KernelConfig | undefined;
}

function replaceKernel(config: KernelConfig): void {
  if (findKernel(config.kernelName, config.backendName) !== undefined) {
    tf.unregisterKernel(config.kernelName, config.backendName); // avoids tfjs's "already registered" warning
  }
  mark(config.kernelFunc);
  tf.registerKernel(config);
}

function isOurs(kernelName: string, backendName: string): boolean {
  const existing = findKernel(kernelName, backendName);
  return existing !== undefined && (existing.kernelFunc as unknown as Record<symbol, unknown>)[MARK] === true;
}

/** What was installed, for the notes initBackend returns. */
export type KernelFix = string;

function requireWasmKernel(name: string): KernelFunc {
  const kernel = findKernel(name, 'wasm');
  if (kernel === undefined) throw new Error(`wasm kernel ${name} is not registered: import @tensorflow/tfjs-backend-wasm first`);
  return kernel.kernelFunc;
}

/**
 * Wasm fixes: BatchMatMul and _FusedMatMul with transposed operands go through an explicit
 * Transpose, and BatchMatMul with a batch folds it into rows or loops over 2-D products (XNNPACK);
 * UnsortedSegmentSum (gather's gradient) and Einsum are added; GatherV2 (batchDims corrected),
 * SplitV, Transpose and Sum over leading axes run as copies and loops on the heap; Identity shares
 * the buffer instead of copying it. BatchMatMul, _FusedMatMul and Transpose also carry the switch
 * to the system BLAS (../blas/), off until a loader turns it on.
 * Must run after @tensorflow/tfjs-backend-wasm has been imported (it registers the originals).
 */
export function installWasmKernelFixes(): KernelFix[] {
  const installed: KernelFix[] = [];
  // First: the matMul and Einsum fixes below transpose through it.
  wrapWasmKernel(installed, 'Transpose', (k) => wrapTranspose(k, () => activeBlas()?.somatcopy), 'Transpose: identity shares the buffer, axis swaps as block copies (cblas_somatcopy with a BLAS)');
  const transpose = { kernelFunc: requireWasmKernel('Transpose') };
  for (const name of ['BatchMatMul', '_FusedMatMul']) {
    const stock = findKernel(name, 'wasm');
    if (stock === undefined || isOurs(name, 'wasm')) continue;
    // Innermost: the XNNPACK kernel itself, recording the buffers it may keep packed (packed-operands.ts).
    const original: KernelConfig = { ...stock, kernelFunc: recordPackedOperands(stock.kernelFunc) };
    const config = transposedMatMulConfig(original, transpose.kernelFunc);
    if (name === 'BatchMatMul') {
      // Inside the transpose wrapper: it materialises transposed operands, then the batch is folded or looped.
      // Outermost: with a BLAS active (backend wasm-blas) the product goes to cblas_sgemm instead.
      config.kernelFunc = withBlas(wrapTransposedMatMul(wrapBatchedMatMul(original.kernelFunc), transpose.kernelFunc));
      installed.push('BatchMatMul with batch > 1 runs as one folded or several 2-D products');
    }
    if (name === '_FusedMatMul') {
      config.kernelFunc = wrapBatchedFusedMatMul(config.kernelFunc, {
        batchMatMul: requireWasmKernel('BatchMatMul'), // already the fixed one: the loop did it first
        add: requireWasmKernel('Add'),
        activations: {
          relu: requireWasmKernel('Relu'),
          relu6: requireWasmKernel('Relu6'),
          elu: requireWasmKernel('Elu'),
          sigmoid: requireWasmKernel('Sigmoid'),
          leakyrelu: requireWasmKernel('LeakyRelu'),
          prelu: requireWasmKernel('Prelu'),
        },
      }, () => activeBlas() !== undefined);
      installed.push('_FusedMatMul with batch > 1 runs as BatchMatMul + Add + activation');
    }
    replaceKernel(config);
    installed.push(`${name} with transposed operands runs as Transpose + ${name}`);
  }
  if (!isOurs(ADAMW_KERNEL, 'wasm')) {
    replaceKernel(wasmAdamWConfig);
    installed.push('AdamW update as one kernel per parameter');
  }
  if (!isOurs('UnsortedSegmentSum', 'wasm')) {
    replaceKernel(wasmSegmentSumConfig);
    installed.push('UnsortedSegmentSum added (gather gradient)');
  }
  wrapWasmKernel(installed, 'GatherV2', wrapGather, 'GatherV2 as row copies (batchDims > 0 corrected)');
  wrapWasmKernel(installed, 'Sum', wrapLeadingSum, 'Sum over leading axes in one pass (no transpose)');
  wrapWasmKernel(installed, 'SplitV', wrapSplit, 'SplitV as block copies');
  wrapWasmKernel(installed, 'Identity', wrapSharedIdentity, 'Identity (tf.clone, tensors saved for gradients) shares the buffer instead of copying it');
  if (!isOurs('Einsum', 'wasm')) {
    const einsum = makeEinsum({
      transpose: transpose.kernelFunc,
      reshape: requireWasmKernel('Reshape'),
      multiply: requireWasmKernel('Multiply'),
      sum: requireWasmKernel('Sum'),
      identity: requireWasmKernel('Identity'),
    });
    replaceKernel({ kernelName: 'Einsum', backendName: 'wasm', kernelFunc: einsum });
    installed.push('Einsum added (forward only, as on every tfjs backend)');
  }
  return installed;
}

/** Replaces wasm's `name` by `wrap(original)`, once: a second install would wrap our own kernel. */
function wrapWasmKernel(installed: KernelFix[], name: string, wrap: (original: KernelFunc) => KernelFunc, fix: KernelFix): void {
  const original = findKernel(name, 'wasm');
  if (original === undefined || isOurs(name, 'wasm')) return;
  replaceKernel({ ...original, kernelFunc: wrap(original.kernelFunc) });
  installed.push(fix);
}

/**
 * Cpu fixes: the stock UnsortedSegmentSum loops over segments with whole-tensor ops (seconds per
 * embedding gradient); the AdamW update kernel is added.
 */
export function installCpuKernelFixes(): KernelFix[] {
  const installed: KernelFix[] = [];
  if (!isOurs('UnsortedSegmentSum', 'cpu')) {
    replaceKernel(cpuSegmentSumConfig);
    installed.push('UnsortedSegmentSum replaced by a single-pass loop');
  }
  if (!isOurs(ADAMW_KERNEL, 'cpu')) {
    replaceKernel(cpuAdamWConfig);
    installed.push('AdamW update as one kernel per parameter');
  }
  return installed;
}
