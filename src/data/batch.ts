// Shuffled, padded batches. The order is a Fisher-Yates shuffle driven by mulberry32 (prng.ts)
// seeded with mixSeed(seed, epoch): the same seed and epoch give the same batches on every machine,
// and each epoch a different order. Padding is on the right with padId; targets are the next token.
import { mixSeed, mulberry32, shuffled } from '../util/prng.js';
import type { Batch, Sample } from './types.js';

export interface BatchOptions {
  batchSize: number;
  seed: number;
  epoch: number;
  padId: number;
  /** Default true; false keeps file order (evaluation). */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
}

/**
 * An epoch's training order: the seeded Fisher-Yates shuffle of `items` for (seed, epoch). The one
 * order function of batches, of the torch engine's exported order and of on-policy prompt batches.
 */
export function epochOrder<T>(items: readonly T[], seed: number, epoch: number): T[] {
  return shuffled(items, mulberry32(mixSeed(seed, epoch)));
}

/** Packs samples (already in batch order) into one padded batch. */
export function collate(samples: readonly Sample[], padId: number): Batch {
  const batchSize = samples.length;
  const seqLen = Math.max(1, ...samples.map((s) => s.ids.length));
  const inputIds = new Int32Array(batchSize * seqLen).fill(padId);
  const targets = new Int32Array(batchSize * seqLen);
  const lossMask = new Float32Array(batchSize * seqLen);
  samples.forEach((s, b) => {
    const row = b * seqLen;
    for (let t = 0; t < s.ids.length; t++) inputIds[row + t] = s.ids[t]!;
    // Position t predicts token t+1: its target and its mask come from token t+1.
    for (let t = 0; t + 1 < s.ids.length; t++) {
      targets[row + t] = s.ids[t + 1]!;
      lossMask[row + t] = s.lossMask[t + 1] ? 1 : 0;
    }
  });
  return { batchSize, seqLen, inputIds, targets, lossMask, samples: [...samples] };
}

export function makeBatches(samples: readonly Sample[], options: BatchOptions): Batch[] {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${options.batchSize}`);
  const order = options.shuffle === false ? [...samples] : epochOrder(samples, options.seed, options.epoch);
  const batches: Batch[] = [];
  for (let i = 0; i < order.length; i += options.batchSize) {
    const chunk = order.slice(i, i + options.batchSize);
    if (options.dropLast && chunk.length < options.batchSize) break;
    batches.push(collate(chunk, options.padId));
  }
  return batches;
}
