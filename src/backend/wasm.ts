// Loading the wasm backend in Node.
//
// The package is imported here, lazily, never at module top level: importing it registers 'wasm'
// with a higher priority than 'cpu', after which any tf op run before `await tf.ready()` throws
// "the highest priority backend 'wasm' has not yet been initialized". Loading it only when asked
// keeps everyone else's plain `import * as tf` code working.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setActiveBlas } from './blas/matmul.js';
import { loadKoffi, type Blas } from './blas/library.js';
import { loadNativeKernels, type NativeKernelsOutcome } from './native-kernels/load.js';
import { setActiveNativeKernels } from './native-kernels/active.js';
import { firstLine } from '../util/first-line.js';
import { installWasmKernelFixes } from './kernels/install.js';
import { internalsSupported } from './tfjs-internals.js';

async function nativeKernelsFor(blas: Blas): Promise<NativeKernelsOutcome> {
  const koffi = await loadKoffi();
  return koffi.ok ? loadNativeKernels(koffi.koffi, blas) : koffi;
}

export type LoadOutcome = { ok: true; notes: string[] } | { ok: false; reason: string };

/** Where the .wasm binaries are: next to the package's Node entry point (dist/). */
export function wasmBinaryDirectory(): string {
  const entry = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  return path.dirname(entry) + path.sep;
}

/**
 * Makes wasm the tfjs backend. With `blas` its matrix products go to that library's cblas_sgemm
 * (backend `wasm-blas`); without, to XNNPACK (backend `wasm`, what `npm ci` alone gives).
 */
export async function loadWasm(blas?: Blas): Promise<LoadOutcome> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  let dir: string;
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
    dir = wasmBinaryDirectory();
  } catch (e) {
    return { ok: false, reason: `@tensorflow/tfjs-backend-wasm could not be loaded: ${firstLine(e)}` };
  }
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const binary = simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
  if (!existsSync(dir + binary)) return { ok: false, reason: `wasm binary not found at ${dir + binary}` };

  // A plain directory works in Node: the Emscripten loader reads `prefix + name` with fs.readFileSync.
  // Harmless if the backend is already initialised (the path is only read at initialisation).
  wasm.setWasmPaths(dir);
  // Before setBackend, so the wrapped kernels' setup functions are the ones run at initialisation.
  // The fixes, the BLAS path and the native kernels reach into tfjs internals: another tfjs version
  // runs tfjs's own kernels, and says so.
  const internals = internalsSupported();
  const fixes = internals.ok ? installWasmKernelFixes() : [];
  if (!(await tf.setBackend('wasm'))) {
    return { ok: false, reason: `the wasm backend failed to initialise from ${dir + binary} (tfjs logged the cause above)` };
  }
  // The native element-wise kernels come with the BLAS (both are native code found at run time);
  // where they split the products over their own threads, that product replaces the BLAS's.
  const usable = internals.ok ? blas : undefined;
  const native = usable !== undefined ? await nativeKernelsFor(usable) : undefined;
  const kernels = native?.ok === true ? native.kernels : undefined;
  setActiveNativeKernels(kernels);
  const { sgemm, sgemmBatch } = kernels ?? {};
  setActiveBlas(usable !== undefined && sgemm !== undefined ? { ...usable, sgemm, ...(sgemmBatch !== undefined ? { sgemmBatch } : {}) } : usable);
  const notes = [
    `wasm: ${simd ? 'SIMD' : 'no SIMD'}, ${wasm.getThreadsCount()} thread (tfjs uses the single-threaded build in Node, tensorflow/tfjs#3830)`,
  ];
  if (!internals.ok) notes.push(`warning: ${internals.reason}; they are off (tfjs's own wasm kernels run, slower, with their known faults)`);
  if (blas !== undefined && internals.ok) {
    const split = kernels?.sgemm !== undefined ? `, split over the native kernels' ${kernels.threads} threads (the BLAS on one thread each)` : '';
    notes.push(`matrix products (BatchMatMul, _FusedMatMul) through cblas_sgemm of ${blas.description}${blas.kernels !== undefined ? `, ${blas.kernels} kernels` : ''}${split}`);
    notes.push(...blas.kernelNotes.map((n) => `BLAS kernels: ${n}`));
    if (blas.kernelProblem !== undefined) notes.push(`warning: BLAS kernels: ${blas.kernelProblem}`);
    notes.push(native?.ok === true ? `element-wise kernels: native, ${native.kernels.description}` : `element-wise kernels: WebAssembly SIMD (native ones not used: ${native?.reason ?? 'no BLAS'})`);
  }
  if (fixes.length > 0) notes.push(`wasm kernel fixes: ${fixes.join('; ')}`);
  return { ok: true, notes };
}
