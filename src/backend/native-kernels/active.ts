// What a loaded native kernels library is (load.ts makes one), and which one the wasm-blas backend
// runs with: set by src/backend/wasm.ts when the backend loads, read by wasmHeap()
// (src/backend/simd/module.ts). Its own file, importing only types, so that the heap module does not
// import the loader (which imports the AdamW reference, which imports the heap module).
import type { Sgemm, SgemmBatch } from '../blas/library.js';
import type { Bf16Gemm } from '../blas/bf16.js';
import type { SimdExports } from '../simd/kernel-table.js';

/** The x86-64 levels a library is built for (-march=x86-64-vN): v4 has AVX-512, v3 AVX2 + FMA. */
export type NativeLevel = 'x86-64-v4' | 'x86-64-v3';

/** A loaded, checked library: binds to a wasm memory as SimdExports. */
export interface NativeKernels {
  level: NativeLevel;
  file: string;
  threads: number;
  /** The kernels working on `memory` (the same object for the same memory). */
  on(memory: WebAssembly.Memory): SimdExports;
  /** "x86-64-v4 (AVX-512) build, 2 threads", for notes and the bench. */
  description: string;
  /**
   * The BLAS's products split over the same threads (sgemm-split.c), the BLAS itself on one thread;
   * undefined where that could not be set up (then the kernels run on one thread: two pools on the
   * same cores slowed the step down).
   */
  sgemm?: Sgemm;
  /** Batches of independent products over the same threads (with `sgemm`). */
  sgemmBatch?: SgemmBatch;
  /**
   * Sets how many of the pool's threads run (1 … threads); returns the count. A bf16 run whose
   * oneDNN keeps its own OpenMP threads (the user set OMP_NUM_THREADS) uses one: those threads'
   * spinning and the pool's contend for the cores (a toy step took 9× longer;
   * src/backend/blas/precision.ts).
   */
  useThreads(n: number): number;
  /** How many of the pool's threads run now (the library's own count). */
  runningThreads(): number;
  /**
   * oneDNN's bf16 GEMM (already loaded from `library`) split over the pool like `sgemm`, checked
   * against loops; or why not. Only with `sgemm` (the pool runs the products).
   */
  splitBf16(library: string): Bf16Gemm | string;
}

let active: NativeKernels | undefined;

/** The native kernels the wasm-blas backend runs with, or undefined (the wasm kernels run). */
export function activeNativeKernels(): NativeKernels | undefined {
  return active;
}

export function setActiveNativeKernels(kernels: NativeKernels | undefined): void {
  active = kernels;
}
