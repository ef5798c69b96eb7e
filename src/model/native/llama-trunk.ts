// The llama trunk (token embedding, pre-RMSNorm blocks with rotary grouped-query attention and a
// SwiGLU MLP, final RMSNorm) forward and backward by hand, as gpt2-trunk.ts: products through one
// `Sgemm`, the rest through RowOps, rotary positions in plain loops (rows.ts rotateHalves).
//
// Layout: rows are tokens (b·seq + t); weights in nn.Linear's layout [out, in], so y = x·Wᵀ. q has
// heads·dim columns, k and v kvHeads·dim; query head h reads kv head ⌊h / rep⌋ (HF repeat_kv).
import type { Sgemm } from '../../backend/blas/library.js';
import { ropeTableValues } from '../rope.js';
import type { Arena } from '../../backend/heap/arena.js';
import { attentionBackward, attentionForward, scoresScratchFloats, type HeadColumns } from './attention.js';
import type { TrunkKernels } from './row-ops.js';
import { checkIds, rotateHalves } from './rows.js';
import { ArenaWorkspace } from '../../backend/heap/workspace.js';

export interface LlamaTrunkDims {
  batch: number;
  seq: number;
  width: number;
  heads: number;
  kvHeads: number;
  inner: number;
  layers: number;
  vocab: number;
  eps: number;
  ropeTheta: number;
}

export interface LlamaBlockArrays {
  norm1: Float32Array; // input_layernorm.weight [C]
  q: Float32Array; // self_attn.q_proj.weight [C, C]
  k: Float32Array; // self_attn.k_proj.weight [KV, C]
  v: Float32Array; // self_attn.v_proj.weight [KV, C]
  o: Float32Array; // self_attn.o_proj.weight [C, C]
  norm2: Float32Array; // post_attention_layernorm.weight [C]
  gate: Float32Array; // mlp.gate_proj.weight [F, C]
  up: Float32Array; // mlp.up_proj.weight [F, C]
  down: Float32Array; // mlp.down_proj.weight [C, F]
}

export interface LlamaTrunkArrays {
  embed: Float32Array; // model.embed_tokens.weight [V, C]
  blocks: LlamaBlockArrays[];
  norm: Float32Array; // model.norm.weight [C]
}

export class LlamaWorkspace extends ArenaWorkspace<LlamaTrunkDims> {
  xs: Float32Array[] = [];
  xMid: Float32Array[] = [];
  n1: Float32Array[] = [];
  n2: Float32Array[] = [];
  /** Per block: 1/σ of both norms (2 × rows). */
  rstd: Float32Array[] = [];
  finalRstd = new Float32Array();
  q: Float32Array[] = [];
  k: Float32Array[] = [];
  v: Float32Array[] = [];
  probs: Float32Array[] = [];
  att: Float32Array[] = [];
  gate: Float32Array[] = [];
  up: Float32Array[] = [];
  sig: Float32Array[] = [];
  act: Float32Array[] = [];
  dx = new Float32Array();
  dRows = new Float32Array();
  dAtt = new Float32Array();
  dq = new Float32Array();
  dk = new Float32Array();
  dv = new Float32Array();
  dAct = new Float32Array();
  dGate = new Float32Array();
  dUp = new Float32Array();
  dScores = new Float32Array();
  /** The call's token ids, where the SIMD kernels can read them (also for the backward). */
  tokenIds = new Int32Array();
  /** Rotary tables [seq, dim] (host memory: only the JavaScript rotation reads them). */
  readonly cos: Float32Array;
  readonly sin: Float32Array;

  constructor(dims: LlamaTrunkDims, arena: Arena) {
    super(dims, arena);
    const { batch, seq, width: c, heads, kvHeads, inner: f, layers } = dims;
    const rows = batch * seq;
    const kv = (c / heads) * kvHeads;
    this.add('xs', rows * c, layers + 1);
    this.add('xMid', rows * c, layers);
    this.add('n1', rows * c, layers);
    this.add('n2', rows * c, layers);
    this.add('rstd', 2 * rows, layers);
    this.add('finalRstd', rows);
    this.add('q', rows * c, layers);
    this.add('k', rows * kv, layers);
    this.add('v', rows * kv, layers);
    this.add('probs', batch * heads * seq * seq, layers);
    this.add('att', rows * c, layers);
    for (const field of ['gate', 'up', 'sig', 'act']) this.add(field, rows * f, layers);
    for (const field of ['dx', 'dRows', 'dAtt', 'dq']) this.add(field, rows * c);
    this.add('dk', rows * kv);
    this.add('dv', rows * kv);
    for (const field of ['dAct', 'dGate', 'dUp']) this.add(field, rows * f);
    this.add('dScores', scoresScratchFloats(batch, heads, seq));
    this.addInt('tokenIds', rows);
    this.seal();
    ({ cos: this.cos, sin: this.sin } = ropeTableValues(seq, c / heads, dims.ropeTheta));
  }

  fits(dims: LlamaTrunkDims): boolean {
    const d = this.dims;
    return d.batch === dims.batch && d.seq === dims.seq && d.width === dims.width && d.heads === dims.heads && d.kvHeads === dims.kvHeads
      && d.inner === dims.inner && d.layers === dims.layers && d.ropeTheta === dims.ropeTheta;
  }
}

/** y [rows, out] = x [rows, in] · wᵀ, w [out, in]. */
function project(sgemm: Sgemm, x: Float32Array, w: Float32Array, rows: number, inDim: number, outDim: number, y: Float32Array): void {
  sgemm(false, true, rows, outDim, inDim, 1, x, inDim, w, inDim, 0, y, outDim);
}

/** dW = dyᵀ·x (overwritten); dx (+)= dy·w, added to when `accumulate`. */
function projectBackward(
  sgemm: Sgemm, x: Float32Array, w: Float32Array, dy: Float32Array, rows: number, inDim: number, outDim: number, dW: Float32Array, dx: Float32Array, accumulate: boolean,
): void {
  sgemm(true, false, outDim, inDim, rows, 1, dy, outDim, x, inDim, 0, dW, inDim);
  sgemm(false, false, rows, inDim, outDim, 1, dy, outDim, w, inDim, accumulate ? 1 : 0, dx, inDim);
}

function headColumns(q: Float32Array, k: Float32Array, v: Float32Array, dims: LlamaTrunkDims): { q: HeadColumns; k: HeadColumns; v: HeadColumns } {
  const dim = dims.width / dims.heads;
  const rep = dims.heads / dims.kvHeads;
  const kvLd = dim * dims.kvHeads;
  return {
    q: { data: q, ld: dims.width, first: 0, share: 1 },
    k: { data: k, ld: kvLd, first: 0, share: rep },
    v: { data: v, ld: kvLd, first: 0, share: rep },
  };
}

/** Final hidden states [batch·seq, width] into `out`; the workspace keeps what the backward needs. */
export function llamaTrunkForward(dims: LlamaTrunkDims, w: LlamaTrunkArrays, ids: Int32Array, k: TrunkKernels, ws: LlamaWorkspace, out: Float32Array): void {
  const { sgemm, ops } = k;
  const { batch, seq, width: c, heads, kvHeads, inner: f, layers, eps, vocab } = dims;
  const rows = batch * seq;
  const dim = c / heads;
  const kv = dim * kvHeads;
  const shape = { batch, seq, heads, dim, rep: heads / kvHeads };
  checkIds(ids, vocab, 'llama trunk');
  ws.tokenIds.set(ids);
  ops.embedForward(w.embed, undefined, ws.tokenIds, rows, seq, c, ws.xs[0]!);
  for (let l = 0; l < layers; l++) {
    const p = w.blocks[l]!;
    const x = ws.xs[l]!;
    const rstd = ws.rstd[l]!;
    const n1 = ws.n1[l]!;
    ops.rmsNormForward(x, p.norm1, eps, rows, c, n1, rstd.subarray(0, rows));
    const [q, kk, v] = [ws.q[l]!, ws.k[l]!, ws.v[l]!];
    project(sgemm, n1, p.q, rows, c, c, q);
    project(sgemm, n1, p.k, rows, c, kv, kk);
    project(sgemm, n1, p.v, rows, c, kv, v);
    rotateHalves(q, rows, seq, heads, dim, ws.cos, ws.sin, 1);
    rotateHalves(kk, rows, seq, kvHeads, dim, ws.cos, ws.sin, 1);
    const cols = headColumns(q, kk, v, dims);
    attentionForward(shape, k, cols.q, cols.k, cols.v, ws.probs[l]!, ws.att[l]!);
    const mid = ws.xMid[l]!;
    project(sgemm, ws.att[l]!, p.o, rows, c, c, mid);
    ops.addInto(mid, x, rows * c);
    const n2 = ws.n2[l]!;
    ops.rmsNormForward(mid, p.norm2, eps, rows, c, n2, rstd.subarray(rows, 2 * rows));
    project(sgemm, n2, p.gate, rows, c, f, ws.gate[l]!);
    project(sgemm, n2, p.up, rows, c, f, ws.up[l]!);
    ops.swigluForward(ws.gate[l]!, ws.up[l]!, rows * f, ws.act[l]!, ws.sig[l]!);
    const next = ws.xs[l + 1]!;
    project(sgemm, ws.act[l]!, p.down, rows, f, c, next);
    ops.addInto(next, mid, rows * c);
  }
  ops.rmsNormForward(ws.xs[layers]!, w.norm, eps, rows, c, out, ws.finalRstd);
}

/** Every weight's gradient into `grads` (overwritten), given dOut [batch·seq, width]. */
export function llamaTrunkBackward(
  dims: LlamaTrunkDims, w: LlamaTrunkArrays, k: TrunkKernels, ws: LlamaWorkspace, dOut: Float32Array, grads: LlamaTrunkArrays,
): void {
  const { sgemm, ops } = k;
  const { batch, seq, width: c, heads, kvHeads, inner: f, layers } = dims;
  const rows = batch * seq;
  const dim = c / heads;
  const kv = dim * kvHeads;
  const shape = { batch, seq, heads, dim, rep: heads / kvHeads };
  const dx = ws.dx;
  dx.fill(0);
  ops.rmsNormBackward(dOut, ws.xs[layers]!, ws.finalRstd, w.norm, rows, c, dx, grads.norm);
  for (let l = layers - 1; l >= 0; l--) {
    const p = w.blocks[l]!;
    const g = grads.blocks[l]!;
    const rstd = ws.rstd[l]!;
    // MLP: next = mid + swiglu(n2·gateᵀ, n2·upᵀ)·downᵀ; dx is the gradient of `next`.
    projectBackward(sgemm, ws.act[l]!, p.down, dx, rows, f, c, g.down, ws.dAct, false);
    ops.swigluBackward(ws.gate[l]!, ws.up[l]!, ws.sig[l]!, ws.dAct, rows * f, ws.dGate, ws.dUp);
    projectBackward(sgemm, ws.n2[l]!, p.gate, ws.dGate, rows, c, f, g.gate, ws.dRows, false);
    projectBackward(sgemm, ws.n2[l]!, p.up, ws.dUp, rows, c, f, g.up, ws.dRows, true);
    ops.rmsNormBackward(ws.dRows, ws.xMid[l]!, rstd.subarray(rows, 2 * rows), p.norm2, rows, c, dx, g.norm2);
    // Attention: mid = x + att·oᵀ; dx is now the gradient of `mid`.
    projectBackward(sgemm, ws.att[l]!, p.o, dx, rows, c, c, g.o, ws.dAtt, false);
    const cols = headColumns(ws.q[l]!, ws.k[l]!, ws.v[l]!, dims);
    const dCols = headColumns(ws.dq, ws.dk, ws.dv, dims);
    attentionBackward(shape, k, cols.q, cols.k, cols.v, ws.probs[l]!, ws.dAtt, dCols.q, dCols.k, dCols.v, ws.dScores);
    // The rotation's transpose is the inverse rotation.
    rotateHalves(ws.dq, rows, seq, heads, dim, ws.cos, ws.sin, -1);
    rotateHalves(ws.dk, rows, seq, kvHeads, dim, ws.cos, ws.sin, -1);
    const n1 = ws.n1[l]!;
    projectBackward(sgemm, n1, p.q, ws.dq, rows, c, c, g.q, ws.dRows, false);
    projectBackward(sgemm, n1, p.k, ws.dk, rows, c, kv, g.k, ws.dRows, true);
    projectBackward(sgemm, n1, p.v, ws.dv, rows, c, kv, g.v, ws.dRows, true);
    ops.rmsNormBackward(ws.dRows, ws.xs[l]!, rstd.subarray(0, rows), p.norm1, rows, c, dx, g.norm1);
  }
  ops.embedBackward(dx, ws.tokenIds, rows, seq, c, grads.embed, undefined);
}
