// Causal multi-head attention forward and backward for the native trunks, over q, k and v held in
// row-major [batch·seq, ld] buffers (a head's columns start at col(h)): GPT-2 reads them in place
// from its fused qkv rows, llama from separate projections with grouped-query heads (query head h
// uses kv head ⌊h / rep⌋, as HF's repeat_kv). Products through `sgemm` per (batch, head) block;
// the softmax and its backward through `ops`, over a whole batch row's blocks at once.
import type { Sgemm } from '../../backend/blas/library.js';
import type { RowOps } from './row-ops.js';

/** A [batch·seq, ld] buffer and where query head h's columns start in it. */
export interface HeadColumns {
  data: Float32Array;
  ld: number;
  col: (head: number) => number;
}

export interface AttentionShape {
  batch: number;
  seq: number;
  heads: number;
  dim: number;
  /** Query heads per kv head (1 without grouped-query attention). */
  rep: number;
}

/**
 * out [batch·seq, heads·dim] = softmax(q·kᵀ/√dim + causal)·v per head; the probabilities
 * [batch, heads, seq, seq] are kept for the backward.
 */
export function attentionForward(s: AttentionShape, sgemm: Sgemm, ops: RowOps, q: HeadColumns, k: HeadColumns, v: HeadColumns, probs: Float32Array, out: Float32Array): void {
  const { batch, seq, heads, dim } = s;
  const width = heads * dim;
  const scale = 1 / Math.sqrt(dim);
  for (let b = 0; b < batch; b++) {
    const row = b * seq;
    for (let h = 0; h < heads; h++) {
      const block = (b * heads + h) * seq * seq;
      sgemm(false, true, seq, seq, dim, scale, q.data.subarray(row * q.ld + q.col(h)), q.ld, k.data.subarray(row * k.ld + k.col(h)), k.ld, 0, probs.subarray(block), seq);
    }
  }
  ops.causalSoftmax(probs, batch * heads, seq);
  for (let b = 0; b < batch; b++) {
    const row = b * seq;
    for (let h = 0; h < heads; h++) {
      const block = (b * heads + h) * seq * seq;
      sgemm(false, false, seq, dim, seq, 1, probs.subarray(block), seq, v.data.subarray(row * v.ld + v.col(h)), v.ld, 0, out.subarray(row * width + h * dim), width);
    }
  }
}

/**
 * Given dOut [batch·seq, heads·dim], writes dq, dk and dv (same layouts as q, k and v; the kv
 * gradients of a group's query heads are summed). `scores` is scratch of heads·seq² floats.
 */
export function attentionBackward(
  s: AttentionShape, sgemm: Sgemm, ops: RowOps, q: HeadColumns, k: HeadColumns, v: HeadColumns, probs: Float32Array, dOut: Float32Array,
  dq: HeadColumns, dk: HeadColumns, dv: HeadColumns, scores: Float32Array,
): void {
  const { batch, seq, heads, dim, rep } = s;
  const width = heads * dim;
  const scale = 1 / Math.sqrt(dim);
  const blockSize = seq * seq;
  for (let b = 0; b < batch; b++) {
    const row = b * seq;
    // out = P·v: dP = dOut·vᵀ, dv (+)= Pᵀ·dOut; then the softmax backward over the row's blocks.
    for (let h = 0; h < heads; h++) {
      const dOutH = dOut.subarray(row * width + h * dim);
      const first = h % rep === 0 ? 0 : 1;
      sgemm(false, true, seq, seq, dim, 1, dOutH, width, v.data.subarray(row * v.ld + v.col(h)), v.ld, 0, scores.subarray(h * blockSize), seq);
      sgemm(true, false, seq, dim, seq, 1, probs.subarray((b * heads + h) * blockSize), seq, dOutH, width, first, dv.data.subarray(row * dv.ld + dv.col(h)), dv.ld);
    }
    ops.causalSoftmaxBackward(probs.subarray(b * heads * blockSize, (b + 1) * heads * blockSize), scores, heads, seq);
    // S = scale·q·kᵀ: dq = scale·dS·k, dk (+)= scale·dSᵀ·q.
    for (let h = 0; h < heads; h++) {
      const dS = scores.subarray(h * blockSize);
      const first = h % rep === 0 ? 0 : 1;
      sgemm(false, false, seq, dim, seq, scale, dS, seq, k.data.subarray(row * k.ld + k.col(h)), k.ld, 0, dq.data.subarray(row * dq.ld + dq.col(h)), dq.ld);
      sgemm(true, false, seq, dim, seq, scale, dS, seq, q.data.subarray(row * q.ld + q.col(h)), q.ld, first, dk.data.subarray(row * dk.ld + dk.col(h)), dk.ld);
    }
  }
}
