// The key/value cache of a batch of decoding rows: per layer, keys and values [rows, capacity, kvWidth]
// in Float32Arrays, and each row's length. A row's entries are appended in order; attention reads
// positions 0..length-1 of its own row only, so rows of different lengths share one buffer without
// padding ever entering a softmax.

/** Bytes the cache takes: what the caller bounds before allocating. */
export function kvCacheBytes(layers: number, rows: number, capacity: number, kvWidth: number): number {
  return 2 * layers * rows * capacity * kvWidth * 4;
}

export class KvCache {
  readonly keys: Float32Array[] = [];
  readonly values: Float32Array[] = [];
  /** Tokens held by each row. */
  readonly lengths: Int32Array;

  constructor(readonly layers: number, readonly rows: number, readonly capacity: number, readonly kvWidth: number) {
    const size = rows * capacity * kvWidth;
    for (let l = 0; l < layers; l++) {
      this.keys.push(new Float32Array(size));
      this.values.push(new Float32Array(size));
    }
    this.lengths = new Int32Array(rows);
  }

  /** Where (row, position)'s key or value starts in a layer's buffer. */
  offset(row: number, position: number): number {
    return (row * this.capacity + position) * this.kvWidth;
  }

  /** Makes row `to` a copy of row `from` (the n samples of one prompt share its prefill). */
  copyRow(from: number, to: number): void {
    const n = this.lengths[from]! * this.kvWidth;
    const src = this.offset(from, 0);
    const dst = this.offset(to, 0);
    for (let l = 0; l < this.layers; l++) {
      this.keys[l]!.copyWithin(dst, src, src + n);
      this.values[l]!.copyWithin(dst, src, src + n);
    }
    this.lengths[to] = this.lengths[from]!;
  }
}
