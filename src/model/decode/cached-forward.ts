// A decoder-only model decoding against a key/value cache: rows (one per completion being
// generated) are appended tokens; each call runs the model over just the new tokens and returns the
// logits after each row's last one. One implementation per architecture computes the hidden states
// (gpt2-decode.ts, llama-decode.ts); this file owns the cache and the vocabulary projection.
//
// The weights are a float32 copy of the model's (read once from the tensors), so decoding runs on
// plain Float32Arrays: products through the system BLAS when one was found (the same cblas_sgemm as
// the native trunks), else the plain loops of plain-sgemm.ts; everything else in loops.
import type { Sgemm } from '../../backend/blas/library.js';
import type { ModelConfig } from '../types.js';
import { Gpt2CachedForward } from './gpt2-decode.js';
import { KvCache } from './kv-cache.js';
import { LlamaCachedForward } from './llama-decode.js';
import { Scratch } from './scratch.js';
import type { CachedForward, Entries } from './forward-types.js';

export type { CachedForward, Entries } from './forward-types.js';

/** Tokens to append to one row. */
export interface RowTokens {
  row: number;
  ids: readonly number[];
}

export class CachedDecoder {
  private cache: KvCache | undefined;
  private readonly scratch = new Scratch();

  constructor(readonly config: ModelConfig, private readonly model: CachedForward, private readonly sgemm: Sgemm) {}

  get kvWidth(): number {
    return this.model.kvWidth;
  }

  /** Empties the cache and makes room for `rows` rows of `capacity` tokens each. */
  begin(rows: number, capacity: number): void {
    const c = this.cache;
    this.cache = c !== undefined && c.rows === rows && c.capacity === capacity ? c : new KvCache(this.config.numLayers, rows, capacity, this.kvWidth);
    this.cache.lengths.fill(0);
  }

  /** Makes row `to` hold what row `from` holds (the samples of one prompt share its prefill). */
  copyRow(from: number, to: number): void {
    this.active().copyRow(from, to);
  }

  /** Appends each item's tokens to its row; returns the logits [vocab] after each item's last token. */
  append(items: readonly RowTokens[]): Float32Array[] {
    const cache = this.active();
    const count = items.reduce((n, it) => n + it.ids.length, 0);
    const entries: Entries = { count, rows: new Int32Array(count), positions: new Int32Array(count), ids: new Int32Array(count) };
    const lastEntry: number[] = [];
    let i = 0;
    for (const it of items) {
      if (it.ids.length === 0) throw new RangeError(`decoder: row ${it.row} was given no tokens`);
      let pos = cache.lengths[it.row]!;
      if (pos + it.ids.length > cache.capacity) throw new RangeError(`decoder: row ${it.row} would hold ${pos + it.ids.length} tokens, over the cache's ${cache.capacity}`);
      for (const id of it.ids) {
        if (!(id >= 0 && id < this.config.vocabSize)) throw new RangeError(`decoder: token id ${id} is outside the vocabulary [0, ${this.config.vocabSize})`);
        entries.rows[i] = it.row;
        entries.positions[i] = pos++;
        entries.ids[i] = id;
        i++;
      }
      lastEntry.push(i - 1);
    }
    const hidden = this.model.forward(cache, entries);
    for (const it of items) cache.lengths[it.row] += it.ids.length;
    // Logits only where a next token is drawn: the last entry of each item.
    const c = this.config.hiddenSize;
    const v = this.config.vocabSize;
    const picked = this.scratch.get('picked', lastEntry.length * c);
    lastEntry.forEach((e, j) => picked.set(hidden.subarray(e * c, e * c + c), j * c));
    const logits = new Float32Array(lastEntry.length * v);
    this.sgemm(false, true, lastEntry.length, v, c, 1, picked, c, this.model.outputEmbedding(), c, 0, logits, v);
    return lastEntry.map((_, j) => logits.subarray(j * v, (j + 1) * v));
  }

  private active(): KvCache {
    if (this.cache === undefined) throw new Error('decoder: begin() was not called');
    return this.cache;
  }
}

/** The cached decoder of a gpt2 or llama model, from its weights by Hugging Face name. */
export function cachedDecoder(config: ModelConfig, weights: ReadonlyMap<string, Float32Array>, sgemm: Sgemm): CachedDecoder {
  const w = (name: string): Float32Array => {
    const a = weights.get(name);
    if (a === undefined) throw new Error(`decoder: weight ${name} is missing`);
    return a;
  };
  const model = config.architecture === 'gpt2' ? new Gpt2CachedForward(config, w, sgemm) : new LlamaCachedForward(config, w, sgemm);
  return new CachedDecoder(config, model, sgemm);
}
