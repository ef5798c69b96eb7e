// Causal multi-head attention forward and backward for the native trunks, over q, k and v held in
// row-major [batch·seq, ld] buffers (a head's columns start at col(h)): GPT-2 reads them in place
// from its fused qkv rows, llama from separate projections with grouped-query heads (query head h
// uses kv head ⌊h / rep⌋, as HF's repeat_kv). Each product is one `sgemmBatch` call over the
// (batch, head) blocks (the native build spreads them over its threads; they are too small to
// split one by one); the softmax and its backward through `ops`, over many blocks at once.
import type { TrunkKernels } from './row-ops.js';

/** A [batch·seq, ld] buffer; query head h's columns start at first + ⌊h / share⌋ · dim in it. */
export interface HeadColumns {
  data: Float32Array;
  ld: number;
  /** Head 0's first column (GPT-2's fused qkv rows: 0, width and 2·width for q, k and v). */
  first: number;
  /** Query heads per column block: 1, or rep for grouped-query keys and values (HF's repeat_kv). */
  share: number;
}

export interface AttentionShape {
  batch: number;
  seq: number;
  heads: number;
  dim: number;
  /** Query heads per kv head (1 without grouped-query attention). */
  rep: number;
}

/** Where block (row b, head h) starts in its array: b·rowStride + first + ⌊h / share⌋·headStride. */
interface BlockLayout {
  rowStride: number;
  first: number;
  share: number;
  headStride: number;
}

/** Offset lists kept, by shape and layout: a step asks for the same few dozen every time. */
const offsetLists = new Map<string, Int32Array>();
const OFFSET_LISTS_KEPT = 512;

/**
 * Element offsets of the (row b, head h) blocks for rows [row0, row0 + rows), h fastest, for the
 * products of one call. Only heads with h % rep === group when a group is given (grouped-query
 * attention: one product per kv head at a time, so no two write one block). Made once per shape
 * and layout, then reused (the batch products only read them).
 */
function blockOffsets(row0: number, rows: number, heads: number, l: BlockLayout, rep = 1, group = -1): Int32Array {
  const key = `${row0},${rows},${heads},${rep},${group},${l.rowStride},${l.first},${l.share},${l.headStride}`;
  let offsets = offsetLists.get(key);
  if (offsets === undefined) {
    const out: number[] = [];
    for (let b = row0; b < row0 + rows; b++) {
      for (let h = 0; h < heads; h++) if (group < 0 || h % rep === group) out.push(b * l.rowStride + l.first + Math.floor(h / l.share) * l.headStride);
    }
    if (offsetLists.size >= OFFSET_LISTS_KEPT) offsetLists.clear();
    offsets = Int32Array.from(out);
    offsetLists.set(key, offsets);
  }
  return offsets;
}

/** The blocks of q, k or v: a row's seq rows of ld floats, a head's dim columns. */
function columnLayout(x: HeadColumns, seq: number, dim: number): BlockLayout {
  return { rowStride: seq * x.ld, first: x.first, share: x.share, headStride: dim };
}

/**
 * out [batch·seq, heads·dim] = softmax(q·kᵀ/√dim + causal)·v per head; the probabilities
 * [batch, heads, seq, seq] are kept for the backward. Each product is a batch over all blocks.
 */
export function attentionForward(s: AttentionShape, k: TrunkKernels, q: HeadColumns, kk: HeadColumns, v: HeadColumns, probs: Float32Array, out: Float32Array): void {
  const { batch, seq, heads, dim } = s;
  const width = heads * dim;
  const scale = 1 / Math.sqrt(dim);
  const blocks = batch * heads;
  const pOff = blockOffsets(0, batch, heads, { rowStride: heads * seq * seq, first: 0, share: 1, headStride: seq * seq });
  const col = (x: HeadColumns) => blockOffsets(0, batch, heads, columnLayout(x, seq, dim));
  k.sgemmBatch(blocks, false, true, seq, seq, dim, scale, q.data, col(q), q.ld, kk.data, col(kk), kk.ld, 0, probs, pOff, seq);
  k.ops.causalSoftmax(probs, blocks, seq);
  const oOff = blockOffsets(0, batch, heads, { rowStride: seq * width, first: 0, share: 1, headStride: dim });
  k.sgemmBatch(blocks, false, false, seq, dim, seq, 1, probs, pOff, seq, v.data, col(v), v.ld, 0, out, oOff, width);
}

/**
 * The backward's score-gradient scratch holds this many batch rows' blocks at once: as many as fit
 * in SCORES_BUDGET_FLOATS (8 MB), at least one. More rows a pass means fewer, larger batches of
 * products (spread over the native kernels' threads) and fewer softmax-backward calls; the budget
 * keeps long sequences from doubling the probabilities' memory.
 */
export const SCORES_BUDGET_FLOATS = 2 * 2 ** 20;

export function scoreRowsPerPass(batch: number, heads: number, seq: number): number {
  return Math.max(1, Math.min(batch, Math.floor(SCORES_BUDGET_FLOATS / (heads * seq * seq))));
}

/** Floats of the backward's `scores` scratch for these shapes. */
export function scoresScratchFloats(batch: number, heads: number, seq: number): number {
  return scoreRowsPerPass(batch, heads, seq) * heads * seq * seq;
}

/**
 * Given dOut [batch·seq, heads·dim], writes dq, dk and dv (same layouts as q, k and v; the kv
 * gradients of a group's query heads are summed). `scores` is scratch of scoresScratchFloats
 * floats: scoreRowsPerPass batch rows' blocks at a time.
 */
export function attentionBackward(
  s: AttentionShape, k: TrunkKernels, q: HeadColumns, kk: HeadColumns, v: HeadColumns, probs: Float32Array, dOut: Float32Array,
  dq: HeadColumns, dk: HeadColumns, dv: HeadColumns, scores: Float32Array,
): void {
  const { batch, seq, heads, dim, rep } = s;
  const width = heads * dim;
  const scale = 1 / Math.sqrt(dim);
  const blockSize = seq * seq;
  const perPass = scoreRowsPerPass(batch, heads, seq);
  if (scores.length < perPass * heads * blockSize) throw new Error(`attention backward: scores scratch of ${scores.length} floats, ${perPass * heads * blockSize} needed`);
  for (let first = 0; first < batch; first += perPass) {
    const rows = Math.min(perPass, batch - first);
    // Offsets of this pass's (row, head) blocks, all heads or one group's. The score scratch holds
    // only this pass's rows: its blocks count from the pass's first row.
    const blocks = (l: BlockLayout, group?: number, row0 = first): Int32Array => blockOffsets(row0, rows, heads, l, rep, group);
    const col = (x: HeadColumns, group?: number) => blocks(columnLayout(x, seq, dim), group);
    const dOutOff = (group?: number) => blocks({ rowStride: seq * width, first: 0, share: 1, headStride: dim }, group);
    const sOff = (group?: number) => blocks({ rowStride: heads * blockSize, first: 0, share: 1, headStride: blockSize }, group, 0);
    const pOff = (group?: number) => blocks({ rowStride: heads * blockSize, first: 0, share: 1, headStride: blockSize }, group);
    const count = rows * heads;
    // out = P·v: dP = dOut·vᵀ, dv (+)= Pᵀ·dOut; then the softmax backward over the pass's blocks.
    k.sgemmBatch(count, false, true, seq, seq, dim, 1, dOut, dOutOff(), width, v.data, col(v), v.ld, 0, scores, sOff(), seq);
    // A kv head's gradient is the sum over its rep query heads: the first writes, the others add.
    for (let g = 0; g < rep; g++) {
      k.sgemmBatch(count / rep, true, false, seq, dim, seq, 1, probs, pOff(g), seq, dOut, dOutOff(g), width, g === 0 ? 0 : 1, dv.data, col(dv, g), dv.ld);
    }
    k.ops.causalSoftmaxBackward(probs.subarray(first * heads * blockSize, (first + rows) * heads * blockSize), scores, count, seq);
    // S = scale·q·kᵀ: dq = scale·dS·k, dk (+)= scale·dSᵀ·q.
    k.sgemmBatch(count, false, false, seq, dim, seq, scale, scores, sOff(), seq, kk.data, col(kk), kk.ld, 0, dq.data, col(dq), dq.ld);
    for (let g = 0; g < rep; g++) {
      k.sgemmBatch(count / rep, true, false, seq, dim, seq, scale, scores, sOff(g), seq, q.data, col(q, g), q.ld, g === 0 ? 0 : 1, dk.data, col(dk, g), dk.ld);
    }
  }
}
