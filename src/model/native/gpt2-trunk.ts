// The GPT-2 trunk (token + position embedding, pre-LayerNorm blocks, final LayerNorm) forward and
// backward, written out by hand over Float32Arrays: every matrix product through one `Sgemm`
// (the system BLAS in production, tests' plain loops elsewhere), everything else in rows.ts.
//
// Why by hand: run as tfjs ops, a toy-sized training step is ~900 kernel dispatches, each with its
// bookkeeping, broadcasting adds and reductions on one wasm thread, and the BLAS-backed products
// are only a quarter of the step (docs/performance.md). Here the trunk is one op forward and one
// backward; the products run on the BLAS's threads with strided operands (q, k, v are read in place
// from the fused qkv rows), and the activations the backward needs are kept in reused buffers.
//
// Layout: rows are tokens (b·seq + t), row-major; weights in HF's Conv1D layout [in, out], so a
// layer is y = x·W + b. Heads are column blocks of width `width / heads` within q, k and v.
import type { Sgemm } from '../../backend/blas/library.js';
import type { Arena } from '../../backend/heap/arena.js';
import { ArenaWorkspace } from '../../backend/heap/workspace.js';
import { attentionBackward, attentionForward, scoresScratchFloats, type HeadColumns } from './attention.js';
import type { RowOps, TrunkKernels } from './row-ops.js';
import { checkIds, fillRows } from './rows.js';

export interface Gpt2TrunkDims {
  batch: number;
  seq: number;
  width: number;
  heads: number;
  /** The MLP's hidden width (n_inner). */
  inner: number;
  layers: number;
  vocab: number;
  eps: number;
  /** gelu_new / gelu_pytorch_tanh ('tanh') or the exact erf GELU ('erf'). */
  activation: 'tanh' | 'erf';
}

/** One block's weights (or their gradients), HF names in the comments. */
export interface Gpt2BlockArrays {
  ln1g: Float32Array; // ln_1.weight [C]
  ln1b: Float32Array; // ln_1.bias [C]
  qkvW: Float32Array; // attn.c_attn.weight [C, 3C]
  qkvB: Float32Array; // attn.c_attn.bias [3C]
  projW: Float32Array; // attn.c_proj.weight [C, C]
  projB: Float32Array; // attn.c_proj.bias [C]
  ln2g: Float32Array; // ln_2.weight [C]
  ln2b: Float32Array; // ln_2.bias [C]
  fcW: Float32Array; // mlp.c_fc.weight [C, F]
  fcB: Float32Array; // mlp.c_fc.bias [F]
  outW: Float32Array; // mlp.c_proj.weight [F, C]
  outB: Float32Array; // mlp.c_proj.bias [C]
}

export interface Gpt2TrunkArrays {
  wte: Float32Array; // transformer.wte.weight [V, C]
  wpe: Float32Array; // transformer.wpe.weight [P, C]
  blocks: Gpt2BlockArrays[];
  lnfG: Float32Array; // transformer.ln_f.weight [C]
  lnfB: Float32Array; // transformer.ln_f.bias [C]
}

/** What the forward keeps for the backward (and the scratch the backward needs), for one shape. */
export class Gpt2Workspace extends ArenaWorkspace<Gpt2TrunkDims> {
  /** Residual stream entering each block, and (index layers) entering the final LayerNorm. */
  xs: Float32Array[] = [];
  xMid: Float32Array[] = [];
  ln1: Float32Array[] = [];
  ln2: Float32Array[] = [];
  /** Per block: mean1, rstd1, mean2, rstd2 (4 × rows). */
  stats: Float32Array[] = [];
  /** meanF, rstdF (2 × rows). */
  finalStats = new Float32Array();
  qkv: Float32Array[] = [];
  probs: Float32Array[] = [];
  att: Float32Array[] = [];
  pre: Float32Array[] = [];
  gate: Float32Array[] = [];
  act: Float32Array[] = [];
  // Backward scratch.
  dx = new Float32Array();
  dRows = new Float32Array();
  dAtt = new Float32Array();
  dQkv = new Float32Array();
  dInner = new Float32Array();
  dPre = new Float32Array();
  dScores = new Float32Array();
  /** The call's token ids, where the SIMD kernels can read them (also for the backward). */
  tokenIds = new Int32Array();

  constructor(dims: Gpt2TrunkDims, arena: Arena) {
    super(dims, arena);
    const { batch, seq, width: c, heads, inner: f, layers } = dims;
    const rows = batch * seq;
    this.add('xs', rows * c, layers + 1);
    this.add('xMid', rows * c, layers);
    this.add('ln1', rows * c, layers);
    this.add('ln2', rows * c, layers);
    this.add('stats', 4 * rows, layers);
    this.add('finalStats', 2 * rows);
    this.add('qkv', rows * 3 * c, layers);
    this.add('probs', batch * heads * seq * seq, layers);
    this.add('att', rows * c, layers);
    this.add('pre', rows * f, layers);
    this.add('gate', rows * f, layers);
    this.add('act', rows * f, layers);
    this.add('dx', rows * c);
    this.add('dRows', rows * c);
    this.add('dAtt', rows * c);
    this.add('dQkv', rows * 3 * c);
    this.add('dInner', rows * f);
    this.add('dPre', rows * f);
    // The backward's score gradients, as many batch rows' blocks at a time as its budget allows.
    this.add('dScores', scoresScratchFloats(batch, heads, seq));
    this.addInt('tokenIds', rows);
    this.seal();
  }

  fits(dims: Gpt2TrunkDims): boolean {
    const d = this.dims;
    return d.batch === dims.batch && d.seq === dims.seq && d.width === dims.width && d.heads === dims.heads
      && d.inner === dims.inner && d.layers === dims.layers;
  }
}

/** y [rows, out] = x [rows, in] · w [in, out] + b. */
function linear(sgemm: Sgemm, x: Float32Array, w: Float32Array, b: Float32Array, rows: number, inDim: number, outDim: number, y: Float32Array): void {
  fillRows(y, b, rows, outDim);
  sgemm(false, false, rows, outDim, inDim, 1, x, inDim, w, outDim, 1, y, outDim);
}

/** dW = xᵀ·dy, dB = Σ rows of dy, dx = dy·wᵀ (overwritten). */
function linearBackward(
  sgemm: Sgemm, ops: RowOps, x: Float32Array, w: Float32Array, dy: Float32Array, rows: number, inDim: number, outDim: number,
  dW: Float32Array, dB: Float32Array, dx: Float32Array,
): void {
  ops.columnSums(dy, rows, outDim, dB);
  sgemm(true, false, inDim, outDim, rows, 1, x, inDim, dy, outDim, 0, dW, outDim);
  sgemm(false, true, rows, inDim, outDim, 1, dy, outDim, w, outDim, 0, dx, inDim);
}

/** q, k and v of GPT-2's fused [rows, 3·width] projection, read in place: head h at h·dim in each third. */
function qkvColumns(qkv: Float32Array, width: number): { q: HeadColumns; k: HeadColumns; v: HeadColumns } {
  const ld = 3 * width;
  return {
    q: { data: qkv, ld, first: 0, share: 1 },
    k: { data: qkv, ld, first: width, share: 1 },
    v: { data: qkv, ld, first: 2 * width, share: 1 },
  };
}


/** Final hidden states [batch·seq, width] into `out`; the workspace keeps what the backward needs. */
export function gpt2TrunkForward(dims: Gpt2TrunkDims, w: Gpt2TrunkArrays, ids: Int32Array, k: TrunkKernels, ws: Gpt2Workspace, out: Float32Array): void {
  const { sgemm, ops } = k;
  const { batch, seq, width: c, heads, inner: f, layers, eps } = dims;
  const rows = batch * seq;
  const d = c / heads;
  const c3 = 3 * c;
  const shape = { batch, seq, heads, dim: d, rep: 1 };
  checkIds(ids, dims.vocab, 'gpt2 trunk');
  ws.tokenIds.set(ids);
  ops.embedForward(w.wte, w.wpe, ws.tokenIds, rows, seq, c, ws.xs[0]!);
  for (let l = 0; l < layers; l++) {
    const p = w.blocks[l]!;
    const x = ws.xs[l]!;
    const stats = ws.stats[l]!;
    const ln1 = ws.ln1[l]!;
    ops.layerNormForward(x, p.ln1g, p.ln1b, eps, rows, c, ln1, stats.subarray(0, rows), stats.subarray(rows, 2 * rows));
    const qkv = ws.qkv[l]!;
    linear(sgemm, ln1, p.qkvW, p.qkvB, rows, c, c3, qkv);
    const probs = ws.probs[l]!;
    const att = ws.att[l]!;
    const cols = qkvColumns(qkv, c);
    attentionForward(shape, k, cols.q, cols.k, cols.v, probs, att);
    const mid = ws.xMid[l]!;
    linear(sgemm, att, p.projW, p.projB, rows, c, c, mid);
    ops.addInto(mid, x, rows * c);
    const ln2 = ws.ln2[l]!;
    ops.layerNormForward(mid, p.ln2g, p.ln2b, eps, rows, c, ln2, stats.subarray(2 * rows, 3 * rows), stats.subarray(3 * rows, 4 * rows));
    const pre = ws.pre[l]!;
    linear(sgemm, ln2, p.fcW, p.fcB, rows, c, f, pre);
    const act = ws.act[l]!;
    ops.geluForward(dims.activation, pre, rows * f, act, ws.gate[l]!);
    const next = ws.xs[l + 1]!;
    linear(sgemm, act, p.outW, p.outB, rows, f, c, next);
    ops.addInto(next, mid, rows * c);
  }
  const fs = ws.finalStats;
  ops.layerNormForward(ws.xs[layers]!, w.lnfG, w.lnfB, eps, rows, c, out, fs.subarray(0, rows), fs.subarray(rows, 2 * rows));
}

/**
 * Every weight's gradient into `grads` (overwritten, including the zero rows of the embeddings),
 * given dOut [batch·seq, width] and the workspace of the matching forward.
 */
export function gpt2TrunkBackward(
  dims: Gpt2TrunkDims, w: Gpt2TrunkArrays, k: TrunkKernels, ws: Gpt2Workspace, dOut: Float32Array, grads: Gpt2TrunkArrays,
): void {
  const { sgemm, ops } = k;
  const { batch, seq, width: c, heads, inner: f, layers } = dims;
  const rows = batch * seq;
  const d = c / heads;
  const c3 = 3 * c;
  const shape = { batch, seq, heads, dim: d, rep: 1 };
  const dx = ws.dx;
  dx.fill(0);
  const fs = ws.finalStats;
  ops.layerNormBackward(dOut, ws.xs[layers]!, fs.subarray(0, rows), fs.subarray(rows, 2 * rows), w.lnfG, rows, c, dx, grads.lnfG, grads.lnfB);
  for (let l = layers - 1; l >= 0; l--) {
    const p = w.blocks[l]!;
    const g = grads.blocks[l]!;
    const stats = ws.stats[l]!;
    // MLP: next = mid + gelu(ln2·fcW + fcB)·outW + outB; dx is the gradient of `next`.
    linearBackward(sgemm, ops, ws.act[l]!, p.outW, dx, rows, f, c, g.outW, g.outB, ws.dInner);
    ops.geluBackward(dims.activation, ws.pre[l]!, ws.gate[l]!, ws.dInner, rows * f, ws.dPre);
    linearBackward(sgemm, ops, ws.ln2[l]!, p.fcW, ws.dPre, rows, c, f, g.fcW, g.fcB, ws.dRows);
    ops.layerNormBackward(ws.dRows, ws.xMid[l]!, stats.subarray(2 * rows, 3 * rows), stats.subarray(3 * rows, 4 * rows), p.ln2g, rows, c, dx, g.ln2g, g.ln2b);
    // Attention: mid = x + att·projW + projB; dx is now the gradient of `mid`.
    linearBackward(sgemm, ops, ws.att[l]!, p.projW, dx, rows, c, c, g.projW, g.projB, ws.dAtt);
    const qkv = ws.qkv[l]!;
    const probs = ws.probs[l]!;
    const dQkv = ws.dQkv;
    const cols = qkvColumns(qkv, c);
    const dCols = qkvColumns(dQkv, c);
    attentionBackward(shape, k, cols.q, cols.k, cols.v, probs, ws.dAtt, dCols.q, dCols.k, dCols.v, ws.dScores);
    linearBackward(sgemm, ops, ws.ln1[l]!, p.qkvW, dQkv, rows, c, c3, g.qkvW, g.qkvB, ws.dRows);
    ops.layerNormBackward(ws.dRows, ws.xs[l]!, stats.subarray(0, rows), stats.subarray(rows, 2 * rows), p.ln1g, rows, c, dx, g.ln1g, g.ln1b);
  }
  // Embeddings: x0 = wte[id] + wpe[position].
  ops.embedBackward(dx, ws.tokenIds, rows, seq, c, grads.wte, grads.wpe);
}
