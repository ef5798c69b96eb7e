// The exports of kernels.c, one entry each: how every argument crosses into WebAssembly (`ptr`, a
// byte offset into the shared heap; `i32` and `f32`, a number as it is, an int or a float in C) and
// whether it returns a number (a double in C). The exports' TypeScript type (SimdExports) is derived
// from this table, the loader checks the binary against it (every export present, with this many
// parameters: a stale binary is refused by name, not met as a wrong result), and the row-op sets and
// their test cases are keyed by it (src/model/native/row-ops.ts). kernels.c itself is compiled by
// scripts/build-simd.sh (clang). The native build of the same kernels (src/backend/native-kernels/)
// is bound through koffi from this table too, which is why a number's C type is written here: an
// entry here and its function in each kernels.c are the places a new kernel is declared.

export type SimdArg = 'ptr' | 'i32' | 'f32';

export const SIMD_KERNELS = {
  gelu_tanh_fwd: { args: ['ptr', 'i32', 'ptr', 'ptr'] },
  gelu_tanh_bwd: { args: ['ptr', 'ptr', 'ptr', 'i32', 'ptr'] },
  gelu_erf_fwd: { args: ['ptr', 'i32', 'ptr', 'ptr'] },
  gelu_erf_bwd: { args: ['ptr', 'ptr', 'ptr', 'i32', 'ptr'] },
  layer_norm_fwd: { args: ['ptr', 'ptr', 'ptr', 'f32', 'i32', 'i32', 'ptr', 'ptr', 'ptr'] },
  layer_norm_bwd: { args: ['ptr', 'ptr', 'ptr', 'ptr', 'ptr', 'i32', 'i32', 'ptr', 'ptr', 'ptr'] },
  causal_softmax: { args: ['ptr', 'i32', 'i32'] },
  causal_softmax_bwd: { args: ['ptr', 'ptr', 'i32', 'i32'] },
  add_into: { args: ['ptr', 'ptr', 'i32'] },
  column_sums: { args: ['ptr', 'i32', 'i32', 'ptr'] },
  sum_squares: { args: ['ptr', 'i32'], returns: 'number' },
  rms_norm_fwd: { args: ['ptr', 'ptr', 'f32', 'i32', 'i32', 'ptr', 'ptr'] },
  rms_norm_bwd: { args: ['ptr', 'ptr', 'ptr', 'ptr', 'i32', 'i32', 'ptr', 'ptr'] },
  swiglu_fwd: { args: ['ptr', 'ptr', 'i32', 'ptr', 'ptr'] },
  swiglu_bwd: { args: ['ptr', 'ptr', 'ptr', 'ptr', 'i32', 'ptr', 'ptr'] },
  embed_fwd: { args: ['ptr', 'ptr', 'ptr', 'i32', 'i32', 'i32', 'ptr'] },
  embed_bwd: { args: ['ptr', 'ptr', 'i32', 'i32', 'i32', 'ptr', 'i32', 'ptr', 'i32'] },
  softmax_ce_fwd: { args: ['ptr', 'i32', 'i32', 'ptr', 'ptr', 'ptr', 'ptr'] },
  softmax_ce_bwd: { args: ['ptr', 'i32', 'i32', 'ptr', 'ptr', 'ptr'] },
  // p, m, v, g, n, b1, b2, c1, c2, eps, lr, decay, gscale, pOut, mOut, vOut
  adamw: { args: ['ptr', 'ptr', 'ptr', 'ptr', 'i32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'f32', 'ptr', 'ptr', 'ptr'] },
  // src, rows, cols, ld, dst (uint16)
  f32_to_bf16: { args: ['ptr', 'i32', 'i32', 'i32', 'ptr'] },
} as const satisfies Record<string, { args: readonly SimdArg[]; returns?: 'number' }>;

export type SimdKernelName = keyof typeof SIMD_KERNELS;

type Numbers<A extends readonly unknown[]> = { [I in keyof A]: number };

/** The kernels as the instance exports them; every pointer is a byte offset into the shared memory. */
export type SimdExports = {
  readonly [K in SimdKernelName]: (...args: Numbers<(typeof SIMD_KERNELS)[K]['args']>) => (typeof SIMD_KERNELS)[K] extends { returns: 'number' } ? number : void;
};

/** What the binary lacks against the table: a missing export, or one with another parameter count. */
export function simdExportProblems(exports: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(SIMD_KERNELS)) {
    const f = exports[name];
    if (typeof f !== 'function') problems.push(`${name} is not exported`);
    else if (f.length !== spec.args.length) problems.push(`${name} takes ${f.length} arguments, the table says ${spec.args.length}`);
  }
  return problems;
}
