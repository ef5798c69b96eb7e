// Deterministic synthetic training data for the benchmark: samples of exactly `seq` tokens, the
// first quarter a prompt (no loss) and the rest a response, ids drawn from a Zipf-like law so that
// TF-IDF separates frequent and rare tokens as on text. Both sides (ours and the PyTorch peer) get
// the same batches and the same `important` masks (top 30% of each sample's loss tokens by TF-IDF).
import { collate } from '../src/data/batch.js';
import { mulberry32 } from '../src/util/prng.js';
import type { Batch, Sample } from '../src/data/types.js';
import { tfidfScores } from '../src/groupers/tfidf.js';

export interface SyntheticData {
  samples: Sample[];
  /** Batches cycled through by the steps. */
  batches: Batch[];
  /** TF-IDF score of each token of each sample (0 off the loss tokens), by Sample.index. */
  tfidf: Map<number, number[]>;
}

function zipfSampler(vocab: number, random: () => number): () => number {
  const cumulative = new Float64Array(vocab);
  let total = 0;
  for (let i = 0; i < vocab; i++) cumulative[i] = total += 1 / (i + 10);
  return () => {
    const u = random() * total;
    let lo = 0;
    let hi = vocab - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function syntheticData(vocab: number, seq: number, batchSize: number, batchCount: number, seed = 1): SyntheticData {
  const random = mulberry32(seed);
  const draw = zipfSampler(vocab, random);
  const samples: Sample[] = [];
  const promptLength = Math.floor(seq / 4);
  for (let index = 0; index < batchSize * batchCount; index++) {
    const ids = Array.from({ length: seq }, draw);
    samples.push({
      index,
      ids,
      lossMask: ids.map((_, t) => t >= promptLength),
      offsets: ids.map((_, t) => [t, t + 1] as [number, number]),
      text: ' '.repeat(seq),
      reward: 0,
      advantage: 0,
      spanScores: {},
      source: { file: 'synthetic', line: index + 1 },
    });
  }
  const scores = tfidfScores(samples, samples, { smooth: true, sublinear: false });
  const tfidf = new Map(samples.map((s, i) => [s.index, Array.from(scores[i]!)]));
  const batches: Batch[] = [];
  for (let b = 0; b < batchCount; b++) batches.push(collate(samples.slice(b * batchSize, (b + 1) * batchSize), 0));
  return { samples, batches, tfidf };
}

/**
 * The `important` mask in batch layout ([batch·seq], aligned with Batch.lossMask): per sample, the
 * top 30% of its loss tokens by TF-IDF (rounded up, ties by position), for the peer. Our side
 * computes its own through the compiled objective; this only has to give the peer the same amount of work.
 */
export function importantMask(batch: Batch, tfidf: Map<number, number[]>, share = 0.3): Float32Array {
  const mask = new Float32Array(batch.batchSize * batch.seqLen);
  batch.samples.forEach((s, b) => {
    const scores = tfidf.get(s.index)!;
    const positions: number[] = [];
    for (let t = 0; t < batch.seqLen; t++) if (batch.lossMask[b * batch.seqLen + t] !== 0) positions.push(t);
    positions.sort((x, y) => scores[y + 1]! - scores[x + 1]! || x - y);
    for (const t of positions.slice(0, Math.ceil(share * positions.length))) mask[b * batch.seqLen + t] = 1;
  });
  return mask;
}
