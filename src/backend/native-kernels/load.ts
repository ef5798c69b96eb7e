// Loading the native build of the element-wise kernels (kernels.c here, assets/native/*.so) and
// binding it, through koffi, as the same SimdExports the WebAssembly kernels give: every `ptr`
// argument, a byte offset into tfjs-backend-wasm's heap, becomes that byte's address.
//
// Why: the wasm kernels run on the JavaScript thread, 4 lanes wide, while the products run on every
// core; these run 8 or 16 lanes wide over the BLAS's threads (docs/performance.md). They come with
// the BLAS (backend wasm-blas), which is already native code found at run time: plain `wasm` stays
// pure WebAssembly. Nothing here is required: every failure is a reason string, and the wasm
// kernels run instead.
//
// The library is chosen by the CPU's flags (x86-64-v4 = AVX-512, v3 = AVX2 + FMA); before use a
// product of its threads is checked against the plain loops (as the BLAS's sgemm is).
// SFTGOC_NATIVE_KERNELS=off turns it off; =x86-64-v3 (or v4) picks a level.
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { firstLine } from '../../util/first-line.js';
import { readCpuFlags } from '../blas/coretype.js';
import { NO_TRANS, ONE_THREAD_BELOW_MNK, rowMajorSgemm, selfCheck, SGEMM_PARAMETERS, TRANS, type Blas, type Koffi, type Sgemm, type SgemmBatch } from '../blas/library.js';
import { SIMD_KERNELS, type SimdArg, type SimdExports, type SimdKernelName } from '../simd/kernel-table.js';
import { checkBatch, checkNativeKernels } from './self-check.js';
import { BF16_GEMM_PARAMETERS, bf16GemmOf, checkBf16Gemm, type Bf16Gemm } from '../blas/bf16.js';
import { chooseNativeLevel, nativeKernelsFile } from './level.js';
import type { NativeKernels } from './active.js';

export type { NativeKernels, NativeLevel } from './active.js';
export { chooseNativeLevel } from './level.js';

export type NativeKernelsOutcome = { ok: true; kernels: NativeKernels } | { ok: false; reason: string };

/**
 * The products the split paths are checked on before use: above the split threshold (2²¹ m·n·k), by
 * rows (m ≥ n) and by columns, in every operand layout.
 */
const SPLIT_CHECKS = [[131, 67, 257, true, true], [67, 131, 257, false, false], [133, 129, 131, false, true], [129, 133, 131, true, false]] as const;

const C_TYPES: Record<SimdArg, string> = { ptr: 'uintptr_t', i32: 'int', f32: 'float' };

function prototype(name: SimdKernelName): string {
  const spec = SIMD_KERNELS[name];
  const returns = 'returns' in spec ? 'double' : 'void';
  return `${returns} ${name}(${spec.args.map((a) => C_TYPES[a]).join(', ')})`;
}

/**
 * Loads the library for this CPU, with as many threads as the BLAS's products use, and checks it.
 * `koffi` is the already loaded FFI module (src/backend/blas/library.ts's loadKoffi).
 */
export function loadNativeKernels(koffi: Koffi, blas: Blas, flags: Set<string> = readCpuFlags(), env: NodeJS.ProcessEnv = process.env): NativeKernelsOutcome {
  const chosen = chooseNativeLevel(flags, env);
  if ('reason' in chosen) return { ok: false, reason: chosen.reason };
  const file = nativeKernelsFile(chosen.level);
  if (!existsSync(file)) return { ok: false, reason: `${file} is missing (scripts/build-native-kernels.sh builds it)` };
  let raw: Record<SimdKernelName, (...args: number[]) => unknown>;
  let address: (bytes: Uint8Array) => number;
  let setThreads: (n: number) => number;
  let runningThreads: () => number;
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load(file);
    raw = Object.fromEntries((Object.keys(SIMD_KERNELS) as SimdKernelName[]).map((name) => [name, lib.func(prototype(name))])) as typeof raw;
    address = lib.func('uintptr_t sftgoc_address(const void *p)') as (bytes: Uint8Array) => number;
    setThreads = lib.func('int sftgoc_set_threads(int threads)') as (n: number) => number;
    runningThreads = lib.func('int sftgoc_threads()') as () => number;
  } catch (e) {
    return { ok: false, reason: `${file} could not be loaded: ${firstLine(e)}` };
  }
  const bound = new WeakMap<WebAssembly.Memory, SimdExports>();
  const on = (memory: WebAssembly.Memory): SimdExports => {
    const known = bound.get(memory);
    if (known !== undefined) return known;
    const exports = bindToMemory(raw, address, memory);
    bound.set(memory, exports);
    return exports;
  };
  const problem = checkNativeKernels(on);
  if (problem !== undefined) return { ok: false, reason: `${file} failed its check against the loops (${problem}); the wasm kernels run instead` };
  const split = blas.threads > 1 ? splitProducts(koffi, lib, blas, setThreads) : 'the BLAS runs one thread';
  const running = setThreads(typeof split === 'string' ? 1 : Math.max(1, Math.min(blas.threads, availableParallelism())));
  const width = chosen.level === 'x86-64-v4' ? 'AVX-512' : 'AVX2';
  const threadsNote = `${running} thread${running === 1 ? '' : 's'}`;
  const productsNote = typeof split === 'string' ? `; products on the BLAS's own threads (not split here: ${split})` : `; products split over the same threads, ${blas.library} on one thread each`;
  return {
    ok: true,
    kernels: { level: chosen.level, file, threads: running, on, useThreads: (n) => setThreads(Math.max(1, Math.min(n, running))), runningThreads, splitBf16: (library) => (typeof split === 'string' ? split : splitBf16(lib, library)), description: `${chosen.level} (${width}) build, ${threadsNote}${productsNote}`, ...(typeof split === 'string' ? {} : split) },
  };
}

/**
 * sgemm-split.c bound to the BLAS `blas` (the process has loaded it already) and OpenBLAS set to one
 * thread; or why not.
 */
function splitProducts(koffi: Koffi, lib: ReturnType<Koffi['load']>, blas: Blas, setThreads: (n: number) => number): { sgemm: Sgemm; sgemmBatch: SgemmBatch } | string {
  let blasThreads: (n: number) => void;
  let bind: (path: string, fromMnk: number) => number;
  let sgemm: (...args: unknown[]) => void;
  let batch: (...args: unknown[]) => void;
  try {
    blasThreads = koffi.load(blas.library).func('void openblas_set_num_threads(int n)') as (n: number) => void;
    bind = lib.func('int sftgoc_bind_sgemm(const char *path, long from_mnk)') as typeof bind;
    sgemm = lib.func(`void sftgoc_sgemm(${SGEMM_PARAMETERS})`) as typeof sgemm;
    batch = lib.func('void sftgoc_sgemm_batch(int count, int transA, int transB, int m, int n, int k, float alpha, const float *a, const int *aOff, int lda, const float *b, const int *bOff, int ldb, float beta, float *c, const int *cOff, int ldc)') as typeof batch;
  } catch (e) {
    return firstLine(e);
  }
  const bound = bind(blas.library, ONE_THREAD_BELOW_MNK);
  if (bound !== 0) return `cblas_sgemm of ${blas.library} not found from the native kernels (${bound === 1 ? 'dlopen' : 'dlsym'})`;
  blasThreads(1);
  setThreads(blas.threads);
  const split = rowMajorSgemm(sgemm);
  for (const [m, n, k, transA, transB] of SPLIT_CHECKS) {
    const problem = selfCheck(split, m, n, k, transA, transB);
    if (problem !== undefined) {
      blasThreads(blas.threads);
      return `the split product failed a ${m}×${k}·${k}×${n} check against loops (${problem})`;
    }
  }
  const sgemmBatch: SgemmBatch = (count, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) => {
    // A block starting outside its array would make the BLAS read or write elsewhere: checked once a call
    // (the blocks' extents are the caller's to keep inside, as with sgemm).
    if (!startsInside(aOff, count, a) || !startsInside(bOff, count, b) || !startsInside(cOff, count, c)) throw new Error('sgemmBatch: an offset lies outside its array');
    batch(count, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
  };
  const problem = checkBatch(sgemmBatch);
  if (problem !== undefined) {
    blasThreads(blas.threads);
    return `the batched products failed their check against loops (${problem})`;
  }
  return { sgemm: split, sgemmBatch };
}

/** Whether `offsets` has `count` entries, each inside `array`. */
function startsInside(offsets: Int32Array, count: number, array: Float32Array): boolean {
  if (offsets.length < count) return false;
  for (let i = 0; i < count; i++) if (!(offsets[i]! >= 0 && offsets[i]! < array.length)) return false;
  return true;
}

/** sgemm-split.c's bf16 product bound to oneDNN at `library` (loaded already), checked; or why not. */
function splitBf16(lib: ReturnType<Koffi['load']>, library: string): Bf16Gemm | string {
  let bind: (path: string) => number;
  let raw: (...args: unknown[]) => unknown;
  try {
    bind = lib.func('int sftgoc_bind_bf16(const char *path)') as typeof bind;
    raw = lib.func(`int sftgoc_gemm_bf16(${BF16_GEMM_PARAMETERS})`) as typeof raw;
  } catch (e) {
    return firstLine(e);
  }
  const bound = bind(library);
  if (bound !== 0) return `dnnl_gemm_bf16bf16f32 of ${library} not found from the native kernels (${bound === 1 ? 'dlopen' : 'dlsym'})`;
  const gemm = bf16GemmOf(raw);
  for (const [m, n, k, transA, transB] of SPLIT_CHECKS) {
    const problem = checkBf16Gemm(gemm, m, n, k, transA, transB);
    if (problem !== undefined) return `the split bf16 product ${problem}`;
  }
  return gemm;
}

/**
 * The kernels with every heap offset turned into an address. The memory's buffer is replaced when
 * it grows (and may move), so its address is read again whenever the buffer is another one. Offset 0
 * stays 0: it is the kernels' "none" (tfjs never places a tensor at address 0).
 */
function bindToMemory(raw: Record<SimdKernelName, (...args: number[]) => unknown>, address: (bytes: Uint8Array) => number, memory: WebAssembly.Memory): SimdExports {
  let buffer: ArrayBuffer | undefined;
  let base = 0;
  const baseNow = (): number => {
    if (memory.buffer !== buffer) {
      buffer = memory.buffer;
      base = address(new Uint8Array(buffer));
    }
    return base;
  };
  const entries = (Object.keys(SIMD_KERNELS) as SimdKernelName[]).map((name) => {
    const kinds = SIMD_KERNELS[name].args as readonly SimdArg[];
    const f = raw[name];
    const call = (...args: number[]): unknown => {
      const b = baseNow();
      for (let i = 0; i < kinds.length; i++) if (kinds[i] === 'ptr' && args[i] !== 0) args[i] = b + args[i]!;
      return f(...args);
    };
    return [name, call];
  });
  return Object.fromEntries(entries) as unknown as SimdExports;
}
