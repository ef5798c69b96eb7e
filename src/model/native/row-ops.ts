// The native trunk's non-product passes behind one interface, in two implementations: `jsRowOps`
// (rows.ts, plain loops over any Float32Arrays: the reference, and what runs without the SIMD
// binary) and `simdRowOps` (kernels.c in WebAssembly SIMD, on views of tfjs's wasm heap only).
import type { Sgemm } from '../../backend/blas/library.js';
import type { SimdExports } from '../../backend/simd/module.js';
import {
  addInto, causalSoftmax, causalSoftmaxBackward, columnSums, embedBackward, embedForward, geluErfBackward, geluErfForward, geluTanhBackward, geluTanhForward,
  layerNormBackward, layerNormForward, rmsNormBackward, rmsNormForward, swigluBackward, swigluForward,
} from './rows.js';

export type Activation = 'tanh' | 'erf';

/** The product and row-pass implementations a trunk call runs with. */
export interface TrunkKernels {
  sgemm: Sgemm;
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

export const jsRowOps: RowOps = {
  name: 'js',
  layerNormForward,
  layerNormBackward,
  geluForward: (activation, pre, n, act, gate) => (activation === 'tanh' ? geluTanhForward : geluErfForward)(pre, n, act, gate),
  geluBackward: (activation, pre, gate, dAct, n, dPre) => (activation === 'tanh' ? geluTanhBackward : geluErfBackward)(pre, gate, dAct, n, dPre),
  causalSoftmax,
  causalSoftmaxBackward,
  addInto,
  columnSums,
  rmsNormForward,
  rmsNormBackward,
  swigluForward,
  swigluBackward,
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
  return {
    name: 'simd',
    layerNormForward: (x, gamma, beta, eps, rows, width, out, mean, rstd) =>
      simd.layer_norm_fwd(at(x), at(gamma), at(beta), eps, rows, width, at(out), at(mean), at(rstd)),
    layerNormBackward: (dOut, x, mean, rstd, gamma, rows, width, dx, dGamma, dBeta) =>
      simd.layer_norm_bwd(at(dOut), at(x), at(mean), at(rstd), at(gamma), rows, width, at(dx), at(dGamma), at(dBeta)),
    geluForward: (activation, pre, n, act, gate) =>
      (activation === 'tanh' ? simd.gelu_tanh_fwd : simd.gelu_erf_fwd)(at(pre), n, at(act), at(gate)),
    geluBackward: (activation, pre, gate, dAct, n, dPre) =>
      (activation === 'tanh' ? simd.gelu_tanh_bwd : simd.gelu_erf_bwd)(at(pre), at(gate), at(dAct), n, at(dPre)),
    causalSoftmax: (blocks, count, seq) => simd.causal_softmax(at(blocks), count, seq),
    causalSoftmaxBackward: (probs, dP, count, seq) => simd.causal_softmax_bwd(at(probs), at(dP), count, seq),
    addInto: (dst, src, n) => simd.add_into(at(dst), at(src), n),
    columnSums: (x, rows, width, out) => simd.column_sums(at(x), rows, width, at(out)),
    rmsNormForward: (x, gamma, eps, rows, width, out, rstd) => simd.rms_norm_fwd(at(x), at(gamma), eps, rows, width, at(out), at(rstd)),
    rmsNormBackward: (dOut, x, rstd, gamma, rows, width, dx, dGamma) => simd.rms_norm_bwd(at(dOut), at(x), at(rstd), at(gamma), rows, width, at(dx), at(dGamma)),
    swigluForward: (gate, up, n, out, sig) => simd.swiglu_fwd(at(gate), at(up), n, at(out), at(sig)),
    swigluBackward: (gate, up, sig, dOut, n, dGate, dUp) => simd.swiglu_bwd(at(gate), at(up), at(sig), at(dOut), n, at(dGate), at(dUp)),
    // Offset 0 stands for "no position table" (tfjs never places a tensor at address 0).
    embedForward: (table, positions, ids, rows, seq, width, out) =>
      simd.embed_fwd(at(table), positions === undefined ? 0 : at(positions), at(ids), rows, seq, width, at(out)),
    embedBackward: (dx, ids, rows, seq, width, dTable, dPositions) =>
      simd.embed_bwd(at(dx), at(ids), rows, seq, width, at(dTable), dTable.length / width, dPositions === undefined ? 0 : at(dPositions), dPositions === undefined ? 0 : dPositions.length / width),
  };
}
