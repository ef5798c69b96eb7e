// Llama's forward over new tokens against a key/value cache: the blocks of src/model/llama.ts
// applied to just the entries given. Rotary positions use each entry's own position (a row's
// offset in the cache), and grouped-query heads read their shared kv head (attend.ts).
import type { Sgemm } from '../../backend/blas/library.js';
import { jsRowOps } from '../native/row-ops.js';
import { ropeTableValues } from '../rope.js';
import type { ModelConfig } from '../types.js';
import { attendCached, runsOf, storeKv } from './attend.js';
import type { CachedForward, Entries } from './forward-types.js';
import type { KvCache } from './kv-cache.js';
import { Scratch } from './scratch.js';

/** y [rows, out] = x · wᵀ for w [out, in] (nn.Linear). */
function linear(sgemm: Sgemm, x: Float32Array, w: Float32Array, rows: number, inDim: number, outDim: number, y: Float32Array): void {
  sgemm(false, true, rows, outDim, inDim, 1, x, inDim, w, inDim, 0, y, outDim);
}

/** Rotates each entry's heads in place by its own position (HF rotate_half: halves, not pairs). */
function rotate(x: Float32Array, count: number, heads: number, dim: number, positions: Int32Array, cos: Float32Array, sin: Float32Array): void {
  const half = dim / 2;
  for (let i = 0; i < count; i++) {
    const t = positions[i]! * dim;
    for (let h = 0; h < heads; h++) {
      const o = (i * heads + h) * dim;
      for (let j = 0; j < half; j++) {
        const c = cos[t + j]!;
        const s = sin[t + j]!;
        const x1 = x[o + j]!;
        const x2 = x[o + j + half]!;
        x[o + j] = x1 * c - x2 * s;
        x[o + j + half] = x2 * c + x1 * s;
      }
    }
  }
}

export class LlamaCachedForward implements CachedForward {
  private readonly scratch = new Scratch();
  private readonly rope: { cos: Float32Array; sin: Float32Array };

  constructor(readonly config: ModelConfig, private readonly w: (name: string) => Float32Array, private readonly sgemm: Sgemm) {
    this.rope = ropeTableValues(config.maxPositions, config.hiddenSize / config.numHeads, config.ropeTheta);
  }

  get kvWidth(): number {
    return (this.config.hiddenSize / this.config.numHeads) * this.config.numKvHeads;
  }

  forward(cache: KvCache, e: Entries): Float32Array {
    const { hiddenSize: c, intermediateSize: f, numHeads: heads, numKvHeads: kvHeads, numLayers: layers, normEps: eps } = this.config;
    const dim = c / heads;
    const kvw = this.kvWidth;
    const { count, rows, positions, ids } = e;
    const s = this.scratch;
    const ops = jsRowOps;
    const table = this.w('model.embed_tokens.weight');
    const x = s.get('x', count * c);
    for (let i = 0; i < count; i++) x.set(table.subarray(ids[i]! * c, ids[i]! * c + c), i * c);
    const a = s.get('a', count * c);
    const rstd = s.get('rstd', count);
    const q = s.get('q', count * c);
    const k = s.get('k', count * kvw);
    const v = s.get('v', count * kvw);
    const att = s.get('att', count * c);
    const proj = s.get('proj', count * c);
    const gate = s.get('gate', count * f);
    const up = s.get('up', count * f);
    const sw = s.get('sw', count * f);
    const sig = s.get('sig', count * f);
    const runs = runsOf(rows, positions, count);
    const longest = Math.max(...runs.map((r) => r.length));
    const scores = s.get('scores', longest * cache.capacity);
    const shape = { heads, kvHeads, dim };
    for (let l = 0; l < layers; l++) {
      const p = `model.layers.${l}.`;
      ops.rmsNormForward(x, this.w(`${p}input_layernorm.weight`), eps, count, c, a, rstd);
      linear(this.sgemm, a, this.w(`${p}self_attn.q_proj.weight`), count, c, c, q);
      linear(this.sgemm, a, this.w(`${p}self_attn.k_proj.weight`), count, c, kvw, k);
      linear(this.sgemm, a, this.w(`${p}self_attn.v_proj.weight`), count, c, kvw, v);
      rotate(q, count, heads, dim, positions, this.rope.cos, this.rope.sin);
      rotate(k, count, kvHeads, dim, positions, this.rope.cos, this.rope.sin);
      storeKv(cache, l, k, kvw, 0, v, kvw, 0, rows, positions, count);
      attendCached(shape, this.sgemm, cache, l, q, c, 0, runs, att, scores);
      linear(this.sgemm, att, this.w(`${p}self_attn.o_proj.weight`), count, c, c, proj);
      ops.addInto(x, proj, count * c);
      ops.rmsNormForward(x, this.w(`${p}post_attention_layernorm.weight`), eps, count, c, a, rstd);
      linear(this.sgemm, a, this.w(`${p}mlp.gate_proj.weight`), count, c, f, gate);
      linear(this.sgemm, a, this.w(`${p}mlp.up_proj.weight`), count, c, f, up);
      ops.swigluForward(gate, up, count * f, sw, sig);
      linear(this.sgemm, sw, this.w(`${p}mlp.down_proj.weight`), count, f, c, proj);
      ops.addInto(x, proj, count * c);
    }
    const out = s.get('out', count * c);
    ops.rmsNormForward(x, this.w('model.norm.weight'), eps, count, c, out, rstd);
    return out;
  }

  outputEmbedding(): Float32Array {
    return this.w(this.config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  }
}
