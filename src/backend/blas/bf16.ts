// bf16 products (train.precision = "bf16"): the operands rounded to bfloat16, multiplied by oneDNN's
// dnnl_gemm_bf16bf16f32 with float32 accumulation into a float32 result. The weights, gradients,
// optimizer state and every other pass stay float32 (the master copy); only the products' inputs
// lose mantissa bits (8 instead of 24: a relative rounding of at most 2⁻⁹ per operand element).
//
// Why: on a CPU with AVX512-BF16 the bf16 product runs 2.3–2.5× the float32 one (1024³: 731
// against 302 GFLOP/s on this machine's 2 cores; docs/performance.md). Debian's OpenBLAS 0.3.21 has
// no bf16 GEMM (built without BUILD_BFLOAT16), so the library is oneDNN (`libdnnl.so.2`, Debian's
// libdnnl2), found and bound like the BLAS (koffi), and checked against loops before use.
// SFTGOC_DNNL=/path/to/libdnnl.so names another copy.
//
// The adapter keeps the Sgemm signature (Float32Array views of the wasm heap), so the native trunk
// and head run unchanged: each product packs A and B into bf16 scratch on the heap (kernels.c
// f32_to_bf16, one pass each) and calls oneDNN. Products below BF16_MIN_MNK stay float32 (the
// attention's per-head products ran slower in bf16: 14 against 8 µs). The scratch grows only at a
// safe point (`prepareScratch`, called where the native ops start, before they take heap views):
// growing the wasm memory mid-op would detach the caller's views, so a product that does not fit
// runs in float32 and the next safe point makes room.
import { firstLine } from '../../util/first-line.js';
import type { SimdExports } from '../simd/kernel-table.js';
import type { WasmBackendInternals } from '../tfjs-internals.js';
import { keepLoaded, loadKoffi, selfCheck, type Sgemm } from './library.js';

/** Products with m·n·k below this run in float32 (they are too small to gain). */
export const BF16_MIN_MNK = 2 ** 21;

/** Row-major bf16 × bf16 → f32 GEMM on uint16 (bf16 bits) and float32 views. */
export type Bf16Gemm = (
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  alpha: number, a: Uint16Array, lda: number, b: Uint16Array, ldb: number,
  beta: number, c: Float32Array, ldc: number,
) => void;

export type Bf16Outcome = { ok: true; gemm: Bf16Gemm; library: string } | { ok: false; reason: string };

/** x rounded to bfloat16 (nearest even; NaN stays NaN), as its 16 bits: the reference of kernels.c f32_to_bf16. */
export function bf16Bits(x: number): number {
  const u = new Uint32Array(Float32Array.of(x).buffer)[0]!;
  if (Number.isNaN(x)) return (u | 0x00400000) >>> 16;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The float32 value of bf16 bits. */
export function bf16Value(bits: number): number {
  return new Float32Array(Uint32Array.of(bits << 16).buffer)[0]!;
}

/** dst[r·cols + c] = bf16(src[r·ld + c]): the plain loop the SIMD kernel is tested against. */
export function packBf16Reference(src: Float32Array, rows: number, cols: number, ld: number, dst: Uint16Array): void {
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[r * cols + c] = bf16Bits(src[r * ld + c]!);
}

const N = 'N'.charCodeAt(0);
const T = 'T'.charCodeAt(0);

/** dnnl_gemm_bf16bf16f32's parameters (also those of the native kernels' split bf16 product, sgemm-split.c). */
export const BF16_GEMM_PARAMETERS = 'char transa, char transb, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t *A, int64_t lda, const uint16_t *B, int64_t ldb, float beta, float *C, int64_t ldc';

/** A bound function with dnnl_gemm_bf16bf16f32's parameters as a Bf16Gemm; a non-zero status is an error. */
export function bf16GemmOf(raw: (...args: unknown[]) => unknown): Bf16Gemm {
  return (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
    const status = raw(transA ? T : N, transB ? T : N, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) as number;
    if (status !== 0) throw new Error(`dnnl_gemm_bf16bf16f32 returned status ${status} for ${m}×${k}·${k}×${n}`);
  };
}

let cached: Promise<Bf16Outcome> | undefined;

/** oneDNN's bf16 GEMM, bound and checked once per process (later calls return the same outcome). */
export function findBf16Gemm(options: { library?: string; importKoffi?: () => Promise<unknown> } = {}): Promise<Bf16Outcome> {
  if (options.library !== undefined || options.importKoffi !== undefined) return bind(options);
  cached ??= bind(options);
  return cached;
}

async function bind(options: { library?: string; importKoffi?: () => Promise<unknown> }): Promise<Bf16Outcome> {
  const library = options.library ?? (process.env['SFTGOC_DNNL'] || 'libdnnl.so.2');
  const loaded = await loadKoffi(options.importKoffi);
  if (!loaded.ok) return loaded;
  const koffi = loaded.koffi;
  let raw: (...args: unknown[]) => unknown;
  try {
    raw = koffi.load(library).func(`int dnnl_gemm_bf16bf16f32(${BF16_GEMM_PARAMETERS})`);
    // Its OpenMP threads spin in the library after every product: it must outlive them (keepLoaded).
    keepLoaded(koffi, library);
  } catch (e) {
    return { ok: false, reason: `oneDNN's bf16 GEMM is not available (${library}: ${firstLine(e)}); on Debian: apt-get install libdnnl2` };
  }
  const gemm = bf16GemmOf(raw);
  const problem = checkBf16Gemm(gemm);
  if (problem !== undefined) return { ok: false, reason: `${library}: dnnl_gemm_bf16bf16f32 ${problem}; bf16 products not used` };
  return { ok: true, gemm, library };
}

/**
 * Undefined when `gemm` computes an m×k·k×n product right against a float64 loop, else the problem:
 * the ABI, the layout (row-major) and the kernels on this CPU. It is library.ts's selfCheck with the
 * operands packed to bf16 on the way in: selfCheck's values (small integers and halves) are exact in
 * bf16, so only float32 accumulation may differ. By default the 67×131·131×45 product with both
 * operands transposed; the split product (native kernels) is checked at sizes it splits, in every
 * layout.
 */
export function checkBf16Gemm(gemm: Bf16Gemm, m = 67, n = 45, k = 131, transA = true, transB = true): string | undefined {
  const pack = (x: Float32Array): Uint16Array => Uint16Array.from(x, bf16Bits);
  const asFloat32: Sgemm = (tA, tB, mm, nn, kk, alpha, a, lda, b, ldb, beta, c, ldc) => gemm(tA, tB, mm, nn, kk, alpha, pack(a), lda, pack(b), ldb, beta, c, ldc);
  const problem = selfCheck(asFloat32, m, n, k, transA, transB);
  return problem === undefined ? undefined : `failed a ${m}×${k}·${k}×${n} check against loops (${problem})`;
}

/**
 * An Sgemm that runs products of at least BF16_MIN_MNK through `gemm` on operands packed to bf16 in
 * heap scratch, and every other product (small, or larger than the scratch until the next
 * `prepareScratch`) through `fp32`.
 */
export class Bf16Products {
  /** Heap block for the packed A and B; 0 before the first growth. */
  private scratchPointer = 0;
  private scratchBytes = 0;
  /** The most elements a product has asked for (A + B), for the next growth. */
  private wanted = 0;
  /** Products run in bf16 and in float32 (too small or not yet room), for the notes and tests. */
  readonly counts = { bf16: 0, fp32: 0 };

  constructor(
    private readonly gemm: Bf16Gemm,
    private readonly fp32: Sgemm,
    private readonly backend: WasmBackendInternals,
    private readonly simd: SimdExports,
  ) {}

  /** Grows the scratch to the largest product seen. Only where no heap view is held (it may grow the wasm memory). */
  prepareScratch(): void {
    // Two 16-byte alignments (A's start and B's) on top of the elements.
    const bytes = this.wanted * 2 + 32;
    if (bytes <= this.scratchBytes) return;
    const pointer = this.backend.wasm._malloc(bytes);
    if (pointer === 0) return; // no room: the products stay float32
    if (this.scratchPointer !== 0) this.backend.wasm._free(this.scratchPointer);
    this.scratchPointer = pointer;
    this.scratchBytes = bytes;
  }

  release(): void {
    if (this.scratchPointer !== 0) this.backend.wasm._free(this.scratchPointer);
    this.scratchPointer = 0;
    this.scratchBytes = 0;
  }

  readonly sgemm: Sgemm = (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
    // The stored shapes: A is [m, k] (or [k, m] transposed) with leading dimension lda; B likewise.
    const [aRows, aCols] = transA ? [k, m] : [m, k];
    const [bRows, bCols] = transB ? [n, k] : [k, n];
    const large = m * n * k >= BF16_MIN_MNK && a.buffer === this.backend.wasm.HEAPU8.buffer && b.buffer === a.buffer;
    // 16-byte aligned starts for the SIMD stores.
    const aAt = (this.scratchPointer + 15) & ~15;
    const bAt = (aAt + aRows * aCols * 2 + 15) & ~15;
    const fits = this.scratchPointer !== 0 && bAt + bRows * bCols * 2 <= this.scratchPointer + this.scratchBytes;
    if (large && !fits) this.wanted = Math.max(this.wanted, aRows * aCols + bRows * bCols);
    if (!large || !fits) {
      this.counts.fp32++;
      this.fp32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      return;
    }
    this.simd.f32_to_bf16(a.byteOffset, aRows, aCols, lda, aAt);
    this.simd.f32_to_bf16(b.byteOffset, bRows, bCols, ldb, bAt);
    const heap = this.backend.wasm.HEAPU8.buffer;
    this.counts.bf16++;
    this.gemm(transA, transB, m, n, k, alpha, new Uint16Array(heap, aAt, aRows * aCols), aCols, new Uint16Array(heap, bAt, bRows * bCols), bCols, beta, c, ldc);
  };
}
