// Attention of new query rows over the key/value cache, in plain loops: entry i (row r at
// position p) attends to positions 0..p of row r, which are already in the cache (the entries of
// one call were written there first, so a prefill is causal by construction). Grouped-query heads:
// query head h reads kv head ⌊h / rep⌋, as HF's repeat_kv. Scores are softmaxed in float64.
//
// Why loops and not the BLAS: a decode step has one query per row, so each (row, head) product is
// a matrix-vector product of at most positions×dim; a BLAS call per (row, head) would cost more in
// call overhead than the arithmetic.
import type { KvCache } from './kv-cache.js';

export interface AttendShape {
  heads: number;
  kvHeads: number;
  dim: number;
}

/**
 * out [count, heads·dim] for queries q [count, heads·dim] (row stride qStride), entry i at
 * (rows[i], positions[i]) of layer `layer`'s cache. `scores` is scratch of at least capacity floats.
 */
export function attendCached(
  s: AttendShape, cache: KvCache, layer: number, q: Float32Array, qStride: number, qOffset: number,
  rows: Int32Array, positions: Int32Array, count: number, out: Float32Array, scores: Float64Array,
): void {
  const { heads, kvHeads, dim } = s;
  const rep = heads / kvHeads;
  const scale = 1 / Math.sqrt(dim);
  const keys = cache.keys[layer]!;
  const values = cache.values[layer]!;
  const width = heads * dim;
  for (let i = 0; i < count; i++) {
    const row = rows[i]!;
    const last = positions[i]!;
    for (let h = 0; h < heads; h++) {
      const qo = i * qStride + qOffset + h * dim;
      const kvCol = Math.floor(h / rep) * dim;
      let max = -Infinity;
      for (let j = 0; j <= last; j++) {
        const ko = cache.offset(row, j) + kvCol;
        let dot = 0;
        for (let d = 0; d < dim; d++) dot += q[qo + d]! * keys[ko + d]!;
        const v = dot * scale;
        scores[j] = v;
        if (v > max) max = v;
      }
      let sum = 0;
      for (let j = 0; j <= last; j++) {
        const e = Math.exp(scores[j]! - max);
        scores[j] = e;
        sum += e;
      }
      const oo = i * width + h * dim;
      for (let d = 0; d < dim; d++) out[oo + d] = 0;
      for (let j = 0; j <= last; j++) {
        const p = scores[j]! / sum;
        const vo = cache.offset(row, j) + kvCol;
        for (let d = 0; d < dim; d++) out[oo + d] += p * values[vo + d]!;
      }
    }
  }
}

/** Writes k and v of each entry (rows [count, kvWidth] at the given strides and offsets) into the cache. */
export function storeKv(
  cache: KvCache, layer: number, k: Float32Array, kStride: number, kOffset: number, v: Float32Array, vStride: number, vOffset: number,
  rows: Int32Array, positions: Int32Array, count: number,
): void {
  const w = cache.kvWidth;
  for (let i = 0; i < count; i++) {
    const o = cache.offset(rows[i]!, positions[i]!);
    cache.keys[layer]!.set(k.subarray(i * kStride + kOffset, i * kStride + kOffset + w), o);
    cache.values[layer]!.set(v.subarray(i * vStride + vOffset, i * vStride + vOffset + w), o);
  }
}
