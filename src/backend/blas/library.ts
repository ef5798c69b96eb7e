// Finding an optimized system BLAS at run time and binding its cblas_sgemm through koffi (FFI).
//
// Why: tfjs-backend-wasm multiplies on one thread with 128-bit SIMD (~20 GFLOP/s here), while the
// machine's OpenBLAS reaches 100–190 GFLOP/s on the same 2 cores. The BLAS is optional, like
// tfjs-node: `koffi` is an optional npm dependency (prebuilt binaries, no compiler) and the library
// is whatever the system has. Nothing here is required: every failure is a reason string, and the
// wasm backend then multiplies with XNNPACK as before.
//
// Only libraries known to be optimized are tried by name. Debian's `libblas.so.3` is deliberately
// not on the list: without an optimized BLAS installed it is the reference implementation (5–6
// GFLOP/s, slower than wasm). SFTGOC_BLAS=/path/to/lib names any other library that exports
// cblas_sgemm (BLIS, MKL, …); then only that one is tried, so a wrong path is reported.
//
// koffi is imported by a specifier held in a variable (as src/backend/native.ts does for
// tfjs-node): it is an optional dependency, and TypeScript must not need it to build.
import { firstLine } from '../../util/first-line.js';
import { chooseCoreType, judgeReportedCore, readCpuFlags, type CoreChoice } from './coretype.js';

/** CBLAS_ORDER / CBLAS_TRANSPOSE values (cblas.h). */
export const ROW_MAJOR = 101;
export const NO_TRANS = 111;
export const TRANS = 112;

/** Row-major single-precision GEMM on Float32Array views: c = alpha·op(a)·op(b) + beta·c. */
export type Sgemm = (
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number,
  beta: number, c: Float32Array, ldc: number,
) => void;

/**
 * `count` products of one shape, the i-th on a, b and c from element offsets aOff[i], bOff[i] and
 * cOff[i]; the C blocks must not overlap (the native build runs them on several threads at once).
 */
export type SgemmBatch = (
  count: number, transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: Float32Array, aOff: Int32Array, lda: number, b: Float32Array, bOff: Int32Array, ldb: number,
  beta: number, c: Float32Array, cOff: Int32Array, ldc: number,
) => void;

/** A batch as one sgemm call per product, in order: the reference, and the path without the native build. */
export function sgemmBatchByLoop(sgemm: Sgemm): SgemmBatch {
  return (count, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc) => {
    for (let i = 0; i < count; i++) {
      sgemm(transA, transB, m, n, k, alpha, a.subarray(aOff[i]!), lda, b.subarray(bOff[i]!), ldb, beta, c.subarray(cOff[i]!), ldc);
    }
  };
}

/** Row-major out-of-place transpose b = aᵀ of an [rows, cols] a (cblas_somatcopy, OpenBLAS and MKL). */
export type Somatcopy = (rows: number, cols: number, a: Float32Array, lda: number, b: Float32Array, ldb: number) => void;

export interface Blas {
  sgemm: Sgemm;
  /** Present when the library exports cblas_somatcopy (OpenBLAS does; reference CBLAS does not). */
  somatcopy?: Somatcopy;
  /** The file name or path it was loaded from. */
  library: string;
  /** Human-readable: what it is and how many threads it uses, for notes and the bench. */
  description: string;
  /** The threads its products use (openblas_get_num_threads; 1 where the library does not say). */
  threads: number;
  /** Batches of small products spread over threads (the native kernels' pool); else they loop over sgemm. */
  sgemmBatch?: SgemmBatch;
  /** The kernel set OpenBLAS reports running (openblas_get_corename), undefined for other libraries. */
  kernels?: string;
  /** How the kernel set was chosen and anything wrong with it (coretype.ts), for notes. */
  kernelNotes: string[];
  /** The library runs other kernels than were chosen or asked for (judgeReportedCore): printed as a warning, not only recorded. */
  kernelProblem?: string;
}

export type BlasOutcome = { ok: true; blas: Blas } | { ok: false; reason: string };

/** The subset of koffi's API used here. */
interface KoffiLibrary {
  func(definition: string): (...args: unknown[]) => unknown;
}
export interface Koffi {
  load(path: string): KoffiLibrary;
}

/** A bound function with cblas_sgemm's parameters (cblas_sgemm itself, or sgemm-split.c's) as an Sgemm. */
export function rowMajorSgemm(raw: (...args: unknown[]) => unknown): Sgemm {
  return (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
    raw(ROW_MAJOR, transA ? TRANS : NO_TRANS, transB ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  };
}

/** cblas_sgemm's parameters (also those of the native kernels' split product, sgemm-split.c). */
export const SGEMM_PARAMETERS = 'int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda, const float *b, int ldb, float beta, float *c, int ldc';
const SGEMM_PROTOTYPE = `void cblas_sgemm(${SGEMM_PARAMETERS})`;

/** Library names tried in order when SFTGOC_BLAS is not set, for this platform. */
export function candidateLibraries(platform: NodeJS.Platform = process.platform): string[] {
  switch (platform) {
    case 'darwin':
      return ['/System/Library/Frameworks/Accelerate.framework/Accelerate', 'libopenblas.dylib', '/opt/homebrew/opt/openblas/lib/libopenblas.dylib'];
    case 'win32':
      return ['libopenblas.dll', 'openblas.dll'];
    default:
      return ['libopenblas.so.0', 'libopenblas.so', 'libblis.so.4', 'libmkl_rt.so.2', 'libmkl_rt.so'];
  }
}

/** What to install when nothing was found, for the reason string. */
function installHint(platform: NodeJS.Platform): string {
  switch (platform) {
    case 'darwin':
      return 'brew install openblas';
    case 'win32':
      return 'put libopenblas.dll on PATH';
    default:
      return 'apt-get install libopenblas0-pthread (Debian/Ubuntu) or dnf install openblas-threads';
  }
}

export interface FindBlasOptions {
  /** Libraries to try; default: SFTGOC_BLAS alone when set, else candidateLibraries(). */
  candidates?: string[];
  /** How to import koffi; tests replace it. */
  importKoffi?: () => Promise<unknown>;
  /** The CPU's flags for the kernel choice; default /proc/cpuinfo's. Tests replace them. */
  cpuFlags?: ReadonlySet<string>;
}

const KOFFI_SPECIFIER = 'koffi';
const defaultImportKoffi = (): Promise<unknown> => import(KOFFI_SPECIFIER);

/**
 * Keeps a library koffi has loaded mapped until the process ends: glibc's dlopen of the same file
 * with RTLD_NOLOAD | RTLD_NODELETE adds the flag to the loaded object (and so keeps its
 * dependencies). Why: koffi unloads a library once its handle is collected or Node tears its
 * environment down, and a library whose worker threads are still spinning in its code at that
 * moment takes the process down with SIGSEGV: oneDNN's OpenMP team right after a product did, in 9
 * of 10 processes that ended just after binding it. Linux only; elsewhere, or without glibc, nothing
 * is done (musl never unloads).
 */
export function keepLoaded(koffi: Koffi, library: string): void {
  if (process.platform !== 'linux') return;
  const RTLD_NOW = 2;
  const RTLD_NOLOAD = 4;
  const RTLD_NODELETE = 0x1000;
  try {
    libcDlopen ??= koffi.load('libc.so.6').func('void *dlopen(const char *file, int mode)');
    libcDlopen(library, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  } catch {
    // No glibc: nothing to pin.
  }
}

let libcDlopen: ((...args: unknown[]) => unknown) | undefined;

let cached: Promise<BlasOutcome> | undefined;

/** The process's BLAS, looked for once (later calls with no options return the same outcome). */
export function findBlas(options: FindBlasOptions = {}): Promise<BlasOutcome> {
  if (options.candidates !== undefined || options.importKoffi !== undefined || options.cpuFlags !== undefined) return search(options);
  cached ??= search(options);
  return cached;
}

/** koffi, imported on demand (an optional dependency), or why it could not be. */
export async function loadKoffi(importKoffi: () => Promise<unknown> = defaultImportKoffi): Promise<{ ok: true; koffi: Koffi } | { ok: false; reason: string }> {
  try {
    const module = (await importKoffi()) as { default?: Koffi } & Koffi;
    return { ok: true, koffi: module.default ?? module };
  } catch (e) {
    return { ok: false, reason: `the optional package koffi (FFI) could not be loaded: ${firstLine(e)}` };
  }
}

async function search(options: FindBlasOptions): Promise<BlasOutcome> {
  const loaded = await loadKoffi(options.importKoffi);
  if (!loaded.ok) return loaded;
  const koffi = loaded.koffi;
  const chosen = process.env['SFTGOC_BLAS'];
  const candidates = options.candidates ?? (chosen !== undefined && chosen !== '' ? [chosen] : candidateLibraries());
  // Before the first dlopen: OpenBLAS reads OPENBLAS_CORETYPE once, in its load-time constructor.
  const flags = options.cpuFlags ?? readCpuFlags();
  const choice = chooseCoreType(flags, process.env);
  const before = process.env['OPENBLAS_CORETYPE'];
  if (choice.set !== undefined) process.env['OPENBLAS_CORETYPE'] = choice.set;
  const tried: string[] = [];
  for (const library of candidates) {
    const outcome = bind(koffi, library, choice, flags);
    if (outcome.ok) return outcome;
    tried.push(outcome.reason);
  }
  // Nothing usable: children (the torch engine's) must not inherit a choice no check confirmed.
  if (before === undefined) delete process.env['OPENBLAS_CORETYPE'];
  else process.env['OPENBLAS_CORETYPE'] = before;
  const hint = chosen !== undefined && chosen !== '' ? '' : `; to get one: ${installHint(process.platform)}`;
  return { ok: false, reason: `no optimized BLAS found (${tried.join('; ')})${hint}` };
}

function bind(koffi: Koffi, library: string, choice: CoreChoice, flags: ReadonlySet<string>): BlasOutcome {
  let lib: KoffiLibrary;
  try {
    lib = koffi.load(library);
  } catch (e) {
    return { ok: false, reason: `${library}: ${firstLine(e)}` };
  }
  let raw: (...args: unknown[]) => unknown;
  try {
    raw = lib.func(SGEMM_PROTOTYPE);
  } catch (e) {
    return { ok: false, reason: `${library} has no cblas_sgemm: ${firstLine(e)}` };
  }
  const plain = rowMajorSgemm(raw);
  // Read before any product: the wrapper below changes it for small ones.
  const threads = optionalFunc<number>(lib, 'int openblas_get_num_threads()')?.();
  const sgemm = smallProductsOnOneThread(lib, plain, threads ?? 1);
  const kernels = optionalFunc<string>(lib, 'const char *openblas_get_corename()')?.();
  const which = kernels !== undefined ? ` with ${kernels} kernels${choice.set !== undefined ? ` (${choice.note})` : ''}` : '';
  // The small product catches another ABI; the larger one runs the kernel set's own GEMM micro-kernels
  // (OpenBLAS sends tiny products to other code), so a kernel set this CPU or library gets wrong is caught.
  for (const [m, n, k] of [[3, 2, 4], [67, 45, 131]] as const) {
    const check = selfCheck(sgemm, m, n, k);
    if (check !== undefined) {
      const off = choice.set !== undefined && choice.source === 'cpu-flags' ? '; set SFTGOC_BLAS_CORETYPE=off to leave the kernels to OpenBLAS' : '';
      return { ok: false, reason: `${library}: cblas_sgemm${which} failed a ${m}×${k}·${k}×${n} check against loops (${check}); not used, products fall back to wasm${off}` };
    }
  }
  const judged = judgeReportedCore(choice, kernels, flags);
  // Its worker threads spin in the library after products, as oneDNN's do: it must outlive them.
  keepLoaded(koffi, library);
  const kernelNotes = [choice.note, ...(judged !== undefined ? [judged] : [])];
  return {
    ok: true,
    blas: {
      sgemm, somatcopy: bindSomatcopy(lib), library, description: describe(lib, library, threads), threads: threads ?? 1, ...(kernels !== undefined ? { kernels } : {}), kernelNotes,
      ...(judged !== undefined ? { kernelProblem: judged } : {}),
    },
  };
}

/**
 * Products below this m·n·k run on one OpenBLAS thread. Why: OpenBLAS splits any product above
 * 2¹⁸ m·n·k across its threads, and for the attention's per-(batch, head) products (small's
 * 128×128×32, 512 calls a step) waking and joining the second thread costs several times the work:
 * 8 µs on one thread against 38 µs wall (23 µs CPU) on two, with transposed B (docs/performance.md).
 * Switching is a store in the library (0.07 µs a switch and back), so it is decided per call.
 */
export const ONE_THREAD_BELOW_MNK = 2 ** 21;

/** ONE_THREAD_BELOW_MNK, or SFTGOC_BLAS_ONE_THREAD_MNK when set to an integer (0: never; for measuring). */
function oneThreadBelow(env: NodeJS.ProcessEnv = process.env): number {
  const given = Number(env['SFTGOC_BLAS_ONE_THREAD_MNK'] ?? '');
  return env['SFTGOC_BLAS_ONE_THREAD_MNK'] !== undefined && Number.isInteger(given) && given >= 0 ? given : ONE_THREAD_BELOW_MNK;
}

/** `sgemm` with small products on one thread, when the library is OpenBLAS with more than one. */
function smallProductsOnOneThread(lib: KoffiLibrary, sgemm: Sgemm, full: number): Sgemm {
  let set: ((n: number) => void) | undefined;
  try {
    set = lib.func('void openblas_set_num_threads(int n)') as (n: number) => void;
  } catch {
    set = undefined;
  }
  const below = oneThreadBelow();
  if (set === undefined || full <= 1 || below === 0) return sgemm;
  const setThreads = set;
  let current = full;
  return (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
    const want = m * n * k < below ? 1 : full;
    if (want !== current) {
      setThreads(want);
      current = want;
    }
    sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  };
}

/** A function the library may not export, bound, or undefined. */
function optionalFunc<T>(lib: KoffiLibrary, prototype: string): (() => T) | undefined {
  try {
    return lib.func(prototype) as () => T;
  } catch {
    return undefined;
  }
}

/** cblas_somatcopy when exported and right on a 2×3 check, else undefined (transposes then stay in JS). */
function bindSomatcopy(lib: KoffiLibrary): Somatcopy | undefined {
  let raw: (...args: unknown[]) => unknown;
  try {
    raw = lib.func('void cblas_somatcopy(int order, int trans, int rows, int cols, float alpha, const float *a, int lda, float *b, int ldb)');
  } catch {
    return undefined;
  }
  const somatcopy: Somatcopy = (rows, cols, a, lda, b, ldb) => {
    raw(ROW_MAJOR, TRANS, rows, cols, 1, a, lda, b, ldb);
  };
  const b = new Float32Array(6);
  try {
    somatcopy(2, 3, Float32Array.from([1, 2, 3, 4, 5, 6]), 3, b, 2);
  } catch {
    return undefined;
  }
  return [1, 4, 2, 5, 3, 6].every((v, i) => b[i] === v) ? somatcopy : undefined;
}

/**
 * Undefined when sgemm computes 2·op(a)·op(b) + 0.5·c right for an m×k·k×n product (a read from an
 * offset view, beta ≠ 0) against a straight loop, else what differs: catches a library with another
 * ABI (64-bit integers, column-major only) before it computes anything real. Transposed operands by
 * default: the layout most often wrong.
 */
export function selfCheck(sgemm: Sgemm, m: number, n: number, k: number, transA = true, transB = true): string | undefined {
  const a = Float32Array.from({ length: 1 + m * k }, (_, i) => (i % 5) - 2); // a view at offset 1: [k, m] transposed, else [m, k]
  const b = Float32Array.from({ length: n * k }, (_, i) => (i % 3) + 0.5); // [n, k] transposed, else [k, n]
  const c = Float32Array.from({ length: m * n }, (_, i) => i);
  const expected = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += a[1 + (transA ? p * m + i : i * k + p)]! * b[transB ? j * k + p : p * n + j]!;
      expected[i * n + j] = 2 * acc + 0.5 * c[i * n + j]!;
    }
  }
  try {
    sgemm(transA, transB, m, n, k, 2, a.subarray(1), transA ? m : k, b, transB ? k : n, 0.5, c, n);
  } catch (e) {
    return firstLine(e);
  }
  // float32 accumulation of k small integers and halves: exact up to rounding of sums below 2²⁴.
  for (let i = 0; i < expected.length; i++) {
    if (Math.abs(c[i]! - expected[i]!) > 1e-4 * Math.max(1, Math.abs(expected[i]!))) return `element ${i} is ${c[i]}, expected ${expected[i]}`;
  }
  return undefined;
}

/** "OpenBLAS 0.3.21 … (libopenblas.so.0), 2 threads" where the library says; else its name. */
function describe(lib: KoffiLibrary, library: string, threads: number | undefined): string {
  const config = optionalFunc<string>(lib, 'const char *openblas_get_config()')?.();
  const name = config !== undefined ? config.split(' ').slice(0, 2).join(' ') : 'cblas_sgemm';
  return `${name} (${library})${threads !== undefined ? `, ${threads} thread${threads === 1 ? '' : 's'}` : ''}`;
}
