// GPT-2's forward over new tokens against a key/value cache: the blocks of src/model/gpt2.ts (and
// gpt2-trunk.ts) applied to just the entries given, each at its own row and position, with keys and
// values appended to the cache and attention over the row's cached prefix (attend.ts).
import type { Sgemm } from '../../backend/blas/library.js';
import { jsRowOps } from '../native/row-ops.js';
import { fillRows } from '../native/rows.js';
import type { ModelConfig } from '../types.js';
import { attendCached, runsOf, storeKv } from './attend.js';
import type { CachedForward, Entries } from './forward-types.js';
import type { KvCache } from './kv-cache.js';
import { Scratch } from './scratch.js';

/** y [rows, out] = x · w [in, out] + b (HF Conv1D). */
function linear(sgemm: Sgemm, x: Float32Array, w: Float32Array, b: Float32Array, rows: number, inDim: number, outDim: number, y: Float32Array): void {
  fillRows(y, b, rows, outDim);
  sgemm(false, false, rows, outDim, inDim, 1, x, inDim, w, outDim, 1, y, outDim);
}

export class Gpt2CachedForward implements CachedForward {
  private readonly scratch = new Scratch();
  private readonly activation: 'tanh' | 'erf';

  constructor(readonly config: ModelConfig, private readonly w: (name: string) => Float32Array, private readonly sgemm: Sgemm) {
    this.activation = config.raw['activation_function'] === 'gelu' ? 'erf' : 'tanh';
  }

  get kvWidth(): number {
    return this.config.hiddenSize;
  }

  forward(cache: KvCache, e: Entries): Float32Array {
    const { hiddenSize: c, intermediateSize: f, numHeads: heads, numLayers: layers, normEps: eps } = this.config;
    const { count, rows, positions, ids } = e;
    const s = this.scratch;
    const ops = jsRowOps;
    const wte = this.w('transformer.wte.weight');
    const wpe = this.w('transformer.wpe.weight');
    let x = s.get('x', count * c);
    for (let i = 0; i < count; i++) {
      const t = ids[i]! * c;
      const p = positions[i]! * c;
      for (let j = 0; j < c; j++) x[i * c + j] = wte[t + j]! + wpe[p + j]!;
    }
    const a = s.get('a', count * c);
    const mean = s.get('mean', count);
    const rstd = s.get('rstd', count);
    const qkv = s.get('qkv', count * 3 * c);
    const att = s.get('att', count * c);
    const mid = s.get('mid', count * c);
    const pre = s.get('pre', count * f);
    const act = s.get('act', count * f);
    const gate = s.get('gate', count * f);
    let next = s.get('next', count * c);
    const runs = runsOf(rows, positions, count);
    const longest = Math.max(...runs.map((r) => r.length));
    const scores = s.get('scores', longest * cache.capacity);
    const shape = { heads, kvHeads: heads, dim: c / heads };
    for (let l = 0; l < layers; l++) {
      const p = `transformer.h.${l}.`;
      ops.layerNormForward(x, this.w(`${p}ln_1.weight`), this.w(`${p}ln_1.bias`), eps, count, c, a, mean, rstd);
      linear(this.sgemm, a, this.w(`${p}attn.c_attn.weight`), this.w(`${p}attn.c_attn.bias`), count, c, 3 * c, qkv);
      storeKv(cache, l, qkv, 3 * c, c, qkv, 3 * c, 2 * c, rows, positions, count);
      attendCached(shape, this.sgemm, cache, l, qkv, 3 * c, 0, runs, att, scores);
      linear(this.sgemm, att, this.w(`${p}attn.c_proj.weight`), this.w(`${p}attn.c_proj.bias`), count, c, c, mid);
      ops.addInto(mid, x, count * c);
      ops.layerNormForward(mid, this.w(`${p}ln_2.weight`), this.w(`${p}ln_2.bias`), eps, count, c, a, mean, rstd);
      linear(this.sgemm, a, this.w(`${p}mlp.c_fc.weight`), this.w(`${p}mlp.c_fc.bias`), count, c, f, pre);
      ops.geluForward(this.activation, pre, count * f, act, gate);
      linear(this.sgemm, act, this.w(`${p}mlp.c_proj.weight`), this.w(`${p}mlp.c_proj.bias`), count, f, c, next);
      ops.addInto(next, mid, count * c);
      [x, next] = [next, x];
    }
    const out = s.get('out', count * c);
    ops.layerNormForward(x, this.w('transformer.ln_f.weight'), this.w('transformer.ln_f.bias'), eps, count, c, out, mean, rstd);
    return out;
  }

  outputEmbedding(): Float32Array {
    return this.w('transformer.wte.weight');
  }
}
