// random(seed): the control grouping. Each loss token's score is a hash of (seed, sample index,
// token position), not a draw from a running generator, so it does not depend on the order samples
// are visited in (shuffling, batching, train vs groups view) and a sample keeps its scores when
// others are added or removed. Sample.index is the record's place in its file, so a training and an
// eval sample with the same index share scores; they are never ranked together.
import type { Sample } from '../data/types.js';
import { scoreLossTokens, type SampleScores } from './sample-scores.js';

/** A 32-bit finaliser (murmur3's fmix32): every input bit flips each output bit with p ≈ 1/2. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) with 24 bits, so the value is exact in float32 (and never rounds up to 1). */
export function randomScore(seed: number, sampleIndex: number, position: number): number {
  const h = fmix32(fmix32(fmix32(seed >>> 0) ^ (sampleIndex >>> 0)) ^ Math.imul(position >>> 0, 0x9e3779b1));
  return (h >>> 8) / 16777216;
}

export function randomScores(samples: readonly Sample[], seed: number): SampleScores[] {
  return samples.map((s) => scoreLossTokens(s, (t) => randomScore(seed, s.index, t)));
}
