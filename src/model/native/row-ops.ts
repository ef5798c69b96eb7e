// The native trunk's non-product passes behind one interface, in two implementations: `jsRowOps`
// (rows.ts, plain loops over any Float32Arrays: the reference, and what runs without the SIMD
// binary) and `simdRowOps` (kernels.c in WebAssembly SIMD, on views of tfjs's wasm heap only).
import type { Sgemm, SgemmBatch } from '../../backend/blas/library.js';
import { SIMD_KERNELS, type SimdExports, type SimdKernelName } from '../../backend/simd/kernel-table.js';
import {
  addInto, causalSoftmax, causalSoftmaxBackward, columnSums, embedBackward, embedForward, geluErfBackward, geluErfForward, geluTanhBackward, geluTanhForward,
  layerNormBackward, layerNormForward, rmsNormBackward, rmsNormForward, swigluBackward, swigluForward,
} from './rows.js';

export type Activation = 'tanh' | 'erf';

/** The product and row-pass implementations a trunk call runs with. */
export interface TrunkKernels {
  sgemm: Sgemm;
  /** Many small independent products at once (the attention's per-head blocks). */
  sgemmBatch: SgemmBatch;
  ops: RowOps;
}

export interface RowOps {
  readonly name: string;
  layerNormForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, rows: number, width: number, out: Float32Array, mean: Float32Array, rstd: Float32Array): void;
  /** dx is added to; dGamma and dBeta are overwritten. */
  layerNormBackward(dOut: Float32Array, x: Float32Array, mean: Float32Array, rstd: Float32Array, gamma: Float32Array, rows: number, width: number, dx: Float32Array, dGamma: Float32Array, dBeta: Float32Array): void;
  geluForward(activation: Activation, pre: Float32Array, n: number, act: Float32Array, gate: Float32Array): void;
  geluBackward(activation: Activation, pre: Float32Array, gate: Float32Array, dAct: Float32Array, n: number, dPre: Float32Array): void;
  causalSoftmax(blocks: Float32Array, count: number, seq: number): void;
  causalSoftmaxBackward(probs: Float32Array, dP: Float32Array, count: number, seq: number): void;
  addInto(dst: Float32Array, src: Float32Array, n: number): void;
  columnSums(x: Float32Array, rows: number, width: number, out: Float32Array): void;
  rmsNormForward(x: Float32Array, gamma: Float32Array, eps: number, rows: number, width: number, out: Float32Array, rstd: Float32Array): void;
  /** dx is added to; dGamma is overwritten. */
  rmsNormBackward(dOut: Float32Array, x: Float32Array, rstd: Float32Array, gamma: Float32Array, rows: number, width: number, dx: Float32Array, dGamma: Float32Array): void;
  swigluForward(gate: Float32Array, up: Float32Array, n: number, out: Float32Array, sig: Float32Array): void;
  swigluBackward(gate: Float32Array, up: Float32Array, sig: Float32Array, dOut: Float32Array, n: number, dGate: Float32Array, dUp: Float32Array): void;
  embedForward(table: Float32Array, positions: Float32Array | undefined, ids: Int32Array, rows: number, seq: number, width: number, out: Float32Array): void;
  /** dTable (and dPositions) are overwritten whole. */
  embedBackward(dx: Float32Array, ids: Int32Array, rows: number, seq: number, width: number, dTable: Float32Array, dPositions: Float32Array | undefined): void;
}

/**
 * The row passes that are one kernels.c export each, with the same arguments in the same order: the
 * plain loop of rows.ts and the export. The export's entry in the kernel table says which arguments
 * are heap arrays (passed as byte offsets); simdRowOps is generated from this table.
 */
const DIRECT_ROW_OPS = {
  layerNormForward: { js: layerNormForward, kernel: 'layer_norm_fwd' },
  layerNormBackward: { js: layerNormBackward, kernel: 'layer_norm_bwd' },
  causalSoftmax: { js: causalSoftmax, kernel: 'causal_softmax' },
  causalSoftmaxBackward: { js: causalSoftmaxBackward, kernel: 'causal_softmax_bwd' },
  addInto: { js: addInto, kernel: 'add_into' },
  columnSums: { js: columnSums, kernel: 'column_sums' },
  rmsNormForward: { js: rmsNormForward, kernel: 'rms_norm_fwd' },
  rmsNormBackward: { js: rmsNormBackward, kernel: 'rms_norm_bwd' },
  swigluForward: { js: swigluForward, kernel: 'swiglu_fwd' },
  swigluBackward: { js: swigluBackward, kernel: 'swiglu_bwd' },
} as const satisfies { [M in keyof RowOps]?: { js: RowOps[M]; kernel: SimdKernelName } };

type DirectName = keyof typeof DIRECT_ROW_OPS;

/** The passes whose arguments differ from their export's: GELU picks its export by activation, the embedding's tables are optional and sized. */
const ADAPTED_KERNELS = {
  geluForward: ['gelu_tanh_fwd', 'gelu_erf_fwd'],
  geluBackward: ['gelu_tanh_bwd', 'gelu_erf_bwd'],
  embedForward: ['embed_fwd'],
  embedBackward: ['embed_bwd'],
} as const satisfies { [M in Exclude<keyof RowOps, 'name' | DirectName>]: readonly SimdKernelName[] };

/** Every row pass and the exports it runs on: what the SIMD test compares against the loops. */
export const ROW_OP_KERNELS: { readonly [M in Exclude<keyof RowOps, 'name'>]: readonly SimdKernelName[] } = {
  ...(Object.fromEntries(Object.entries(DIRECT_ROW_OPS).map(([m, e]) => [m, [e.kernel]])) as unknown as { [M in DirectName]: readonly SimdKernelName[] }),
  ...ADAPTED_KERNELS,
};

const directJs = Object.fromEntries(Object.entries(DIRECT_ROW_OPS).map(([m, e]) => [m, e.js])) as { [M in DirectName]: RowOps[M] };

export const jsRowOps: RowOps = {
  name: 'js',
  ...directJs,
  geluForward: (activation, pre, n, act, gate) => (activation === 'tanh' ? geluTanhForward : geluErfForward)(pre, n, act, gate),
  geluBackward: (activation, pre, gate, dAct, n, dPre) => (activation === 'tanh' ? geluTanhBackward : geluErfBackward)(pre, gate, dAct, n, dPre),
  embedForward,
  embedBackward,
};

/**
 * The SIMD kernels on `memory`. Every array must be a view of that memory (checked: a view of
 * another buffer would make the kernel read unrelated bytes).
 */
export function simdRowOps(simd: SimdExports, memory: WebAssembly.Memory): RowOps {
  const at = (a: Float32Array | Int32Array): number => {
    if (a.buffer !== memory.buffer) throw new Error('simd row ops: an array is not a view of the wasm heap (or the heap grew since the view was made)');
    return a.byteOffset;
  };
  const direct = Object.fromEntries(Object.entries(DIRECT_ROW_OPS).map(([m, e]) => {
    const kinds = SIMD_KERNELS[e.kernel].args;
    const kernel = simd[e.kernel] as (...args: number[]) => void;
    return [m, (...xs: Array<number | Float32Array | Int32Array>) => kernel(...xs.map((x, i) => (kinds[i] === 'ptr' ? at(x as Float32Array | Int32Array) : (x as number))))];
  })) as { [M in DirectName]: RowOps[M] };
  return {
    name: 'simd',
    ...direct,
    geluForward: (activation, pre, n, act, gate) =>
      (activation === 'tanh' ? simd.gelu_tanh_fwd : simd.gelu_erf_fwd)(at(pre), n, at(act), at(gate)),
    geluBackward: (activation, pre, gate, dAct, n, dPre) =>
      (activation === 'tanh' ? simd.gelu_tanh_bwd : simd.gelu_erf_bwd)(at(pre), at(gate), at(dAct), n, at(dPre)),
    // Offset 0 stands for "no position table" (tfjs never places a tensor at address 0).
    embedForward: (table, positions, ids, rows, seq, width, out) =>
      simd.embed_fwd(at(table), positions === undefined ? 0 : at(positions), at(ids), rows, seq, width, at(out)),
    embedBackward: (dx, ids, rows, seq, width, dTable, dPositions) =>
      simd.embed_bwd(at(dx), at(ids), rows, seq, width, at(dTable), dTable.length / width, dPositions === undefined ? 0 : at(dPositions), dPositions === undefined ? 0 : dPositions.length / width),
  };
}
