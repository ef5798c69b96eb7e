// Loading assets/simd/sftgoc-simd.wasm (built from kernels.c) into the memory of
// tfjs-backend-wasm, and the heap access the native trunk and the fused optimizer share.
//
// The module imports tfjs's WebAssembly.Memory, so its functions take byte offsets of tensors (and of
// buffers malloc'ed with the backend's own allocator) and work in place. Loading is synchronous and
// happens once per backend instance; a missing or unloadable binary is a reason string, and callers
// then run their JavaScript loops instead.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { DataType, TensorInfo } from '@tensorflow/tfjs';
import { packageRoot } from '../../util/package-root.js';
import { sgemmBatchByLoop, type Sgemm, type SgemmBatch } from '../blas/library.js';
import { activeBf16Products, activeBlas } from '../blas/matmul.js';
import { firstLine } from '../../util/first-line.js';
import { activeWasmBackend, wasmMemory, type WasmBackendInternals } from '../tfjs-internals.js';
import { simdExportProblems, type SimdExports } from './kernel-table.js';
import { activeNativeKernels } from '../native-kernels/active.js';

export type { SimdExports } from './kernel-table.js';

let nativeEnabled = true;

/**
 * Turns the native paths (the GPT-2 trunk of src/model/native/ and the loss head of
 * src/head/native-ce.ts) on or off for the process: tests and benchmarks compare them with the tfjs
 * ops on the same backend. The SIMD AdamW and global norm are single kernels either way.
 */
export function setNativeKernels(on: boolean): void {
  nativeEnabled = on;
}

export function nativeKernelsEnabled(): boolean {
  return nativeEnabled;
}

export const SIMD_BINARY = join(packageRoot, 'assets', 'simd', 'sftgoc-simd.wasm');

let compiled: WebAssembly.Module | string | undefined;
const instances = new WeakMap<WebAssembly.Memory, SimdExports>();

function compile(): WebAssembly.Module | string {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(readFileSync(SIMD_BINARY));
    } catch (e) {
      compiled = `the SIMD kernels (${SIMD_BINARY}) could not be loaded: ${firstLine(e)}`;
    }
  }
  return compiled;
}

/** The kernels instantiated on `memory`, or why not. */
export function simdKernelsFor(memory: WebAssembly.Memory): SimdExports | string {
  const known = instances.get(memory);
  if (known !== undefined) return known;
  const module = compile();
  if (typeof module === 'string') return module;
  try {
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    // A binary built from another kernels.c than the table describes is refused, naming what differs.
    const stale = simdExportProblems(instance.exports);
    if (stale.length > 0) return `the SIMD kernels (${SIMD_BINARY}) do not match src/backend/simd/kernel-table.ts: ${stale.join('; ')}`;
    const kernels = instance.exports as unknown as SimdExports;
    instances.set(memory, kernels);
    return kernels;
  } catch (e) {
    return `the SIMD kernels could not be instantiated: ${firstLine(e)}`;
  }
}

/**
 * The active backend as a wasm heap with the element-wise kernels on it, or undefined (another
 * backend, or no binary). The kernels are the native build (src/backend/native-kernels/) where the
 * wasm-blas backend loaded it, else the WebAssembly SIMD ones: the same table, the same arguments.
 */
export function wasmHeap(): { backend: WasmBackendInternals; simd: SimdExports } | undefined {
  const backend = activeWasmBackend();
  if (backend === undefined) return undefined;
  const memory = wasmMemory(backend);
  const native = activeBlas() !== undefined ? activeNativeKernels() : undefined;
  if (native !== undefined) return { backend, simd: native.on(memory) };
  const simd = simdKernelsFor(memory);
  return typeof simd === 'string' ? undefined : { backend, simd };
}

/** What the native trunk and head run on: the bound BLAS's product, the SIMD kernels, and the heap. */
export interface BlasOnHeap {
  sgemm: Sgemm;
  sgemmBatch: SgemmBatch;
  simd: SimdExports;
  backend: WasmBackendInternals;
}

/**
 * The native paths' kernels now: the wasm backend with a system BLAS bound (wasm-blas) and the SIMD
 * binary loaded, unless setNativeKernels turned them off; undefined otherwise.
 */
export function blasOnHeap(): BlasOnHeap | undefined {
  const blas = nativeEnabled ? activeBlas() : undefined;
  const heap = blas === undefined ? undefined : wasmHeap();
  if (blas === undefined || heap === undefined) return undefined;
  // With train.precision = "bf16" the products go through oneDNN; here, where a native op starts and
  // holds no heap view yet, is where its scratch may grow.
  const bf16 = activeBf16Products();
  bf16?.prepareScratch();
  const sgemm = bf16 !== undefined ? bf16.sgemm : blas.sgemm;
  return { sgemm, sgemmBatch: bf16 === undefined && blas.sgemmBatch !== undefined ? blas.sgemmBatch : sgemmBatchByLoop(sgemm), ...heap };
}
