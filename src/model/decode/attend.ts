// Attention of new entries over the key/value cache. The entries of one call come in runs (a row's
// consecutive new tokens: a whole prompt in a prefill, one token in a decode step); a run of L
// tokens at positions p0..p0+L-1 attends to positions 0..p0+L-1 of its row, which the call has
// already written to the cache, with the causal limit (token i sees positions ≤ p0 + i).
// Per (run, query head): scores = q·Kᵀ/√d and out = P·V through `sgemm` on strided views of the
// cache (no copies), the softmax in between in a loop. Grouped-query heads: query head h reads kv
// head ⌊h / rep⌋, as HF's repeat_kv.
import type { Sgemm } from '../../backend/blas/library.js';
import { fastExp } from '../native/fast-exp.js';
import type { KvCache } from './kv-cache.js';

export interface AttendShape {
  heads: number;
  kvHeads: number;
  dim: number;
}

/** Consecutive entries of one row at consecutive positions: [start, start + length) of the call. */
export interface Run {
  start: number;
  length: number;
  row: number;
  /** Position of the run's first token. */
  first: number;
}

/** The runs of a call's entries, in order. */
export function runsOf(rows: Int32Array, positions: Int32Array, count: number): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < count; i++) {
    const last = runs[runs.length - 1];
    if (last !== undefined && rows[i] === last.row && positions[i] === last.first + last.length) last.length++;
    else runs.push({ start: i, length: 1, row: rows[i]!, first: positions[i]! });
  }
  return runs;
}

/**
 * out [count, heads·dim] for queries q (row stride qStride, first column qOffset) of the given
 * runs, in layer `layer` of the cache. `scores` is scratch of at least (longest run)·(its end) floats.
 */
export function attendCached(
  s: AttendShape, sgemm: Sgemm, cache: KvCache, layer: number, q: Float32Array, qStride: number, qOffset: number,
  runs: readonly Run[], out: Float32Array, scores: Float32Array,
): void {
  const { heads, kvHeads, dim } = s;
  const rep = heads / kvHeads;
  const scale = 1 / Math.sqrt(dim);
  const kvw = cache.kvWidth;
  const width = heads * dim;
  const keys = cache.keys[layer]!;
  const values = cache.values[layer]!;
  for (const run of runs) {
    const seen = run.first + run.length;
    const base = cache.offset(run.row, 0);
    for (let h = 0; h < heads; h++) {
      const kvCol = Math.floor(h / rep) * dim;
      // scores [L, seen] = q_run [L, dim] · K[0..seen)ᵀ · scale
      const qAt = run.start * qStride + qOffset + h * dim;
      if (run.length === 1) {
        // One query (a decode step): scoresᵀ = K·q, the untransposed matrix-vector form, which
        // OpenBLAS 0.3.21 runs several times faster than the 1×seen product with a transposed K.
        sgemm(false, false, seen, 1, dim, scale, keys.subarray(base + kvCol), kvw, q.subarray(qAt), 1, 0, scores, 1);
      } else {
        sgemm(false, true, run.length, seen, dim, scale, q.subarray(qAt), qStride, keys.subarray(base + kvCol), kvw, 0, scores, seen);
      }
      for (let i = 0; i < run.length; i++) {
        const o = i * seen;
        const visible = run.first + i + 1;
        let max = -Infinity;
        for (let j = 0; j < visible; j++) if (scores[o + j]! > max) max = scores[o + j]!;
        let sum = 0;
        for (let j = 0; j < visible; j++) {
          const e = fastExp(scores[o + j]! - max);
          scores[o + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = 0; j < visible; j++) scores[o + j]! *= inv;
        for (let j = visible; j < seen; j++) scores[o + j] = 0;
      }
      // out_run [L, dim] = P [L, seen] · V[0..seen)
      sgemm(false, false, run.length, dim, seen, 1, scores, seen, values.subarray(base + kvCol), kvw, 0, out.subarray(run.start * width + h * dim), width);
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
