// What the cached decoder asks of one architecture (gpt2-decode.ts, llama-decode.ts).
import type { KvCache } from './kv-cache.js';

/** New tokens of one call, flattened: entry i is token ids[i] of row rows[i] at positions[i]. */
export interface Entries {
  count: number;
  rows: Int32Array;
  positions: Int32Array;
  ids: Int32Array;
}

/** One architecture's forward over entries against the cache. */
export interface CachedForward {
  readonly kvWidth: number;
  /** Final hidden states [count, hidden] (a scratch view, valid until the next call); appends k and v to the cache. */
  forward(cache: KvCache, entries: Entries): Float32Array;
  /** The output projection [vocab, hidden]. */
  outputEmbedding(): Float32Array;
}
