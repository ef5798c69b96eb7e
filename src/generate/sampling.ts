// Choosing the next token from one row of logits, by the rule of src/generate/types.ts (greedy,
// temperature, top-k, top-p) with the row's own seeded stream; plain loops over a Float32Array,
// float64 arithmetic. The torch program's sftgoc_generate.py implements the same rule.
import { mixSeed, mulberry32, type Rng } from '../util/prng.js';
import { fastExp } from '../model/native/fast-exp.js';

export interface SamplingRule {
  temperature: number;
  topK: number;
  topP: number;
}

/** The stream of output row `row` (prompt index · n + sample index) under `seed`. */
export function rowStream(seed: number, row: number): Rng {
  return mulberry32(mixSeed(seed, row));
}

/**
 * log softmax(logits)[id] in float64: the model's own log-probability of `id`. The sum of
 * exponentials uses fastExp (2e-7 relative, native/fast-exp.ts): it runs over the whole vocabulary
 * for every generated token, and a log-probability needs no more digits than float32 logits hold.
 */
export function logProbability(logits: Float32Array, id: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += fastExp(logits[i]! - max);
  return logits[id]! - max - Math.log(sum);
}

/** The lowest id of the largest logit. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/**
 * The tokens a draw may pick and their probabilities (not renormalised after top-p), in the order
 * the draw walks them: probability descending, id ascending on ties.
 */
export function candidates(logits: Float32Array, rule: SamplingRule): { ids: number[]; probs: number[] } {
  const v = logits.length;
  const order = Array.from({ length: v }, (_, i) => i);
  // Value descending, id ascending: the same order for top-k, top-p and the walk.
  order.sort((a, b) => (logits[b]! - logits[a]!) || (a - b));
  const k = rule.topK > 0 && rule.topK < v ? rule.topK : v;
  const kept = order.slice(0, k);
  const t = rule.temperature;
  const top = logits[kept[0]!]! / t;
  const weights = kept.map((i) => Math.exp(logits[i]! / t - top));
  const total = weights.reduce((a, b) => a + b, 0);
  const probs = weights.map((w) => w / total);
  if (rule.topP >= 1) return { ids: kept, probs };
  let mass = 0;
  let end = 0;
  while (end < kept.length) {
    mass += probs[end]!;
    end++;
    if (mass >= rule.topP) break;
  }
  return { ids: kept.slice(0, end), probs: probs.slice(0, end) };
}

/** The next token: greedy at temperature 0 (nothing drawn from `rng`), else one draw. */
export function sampleToken(logits: Float32Array, rule: SamplingRule, rng: Rng): number {
  if (rule.temperature === 0) return argmax(logits);
  const { ids, probs } = candidates(logits, rule);
  const mass = probs.reduce((a, b) => a + b, 0);
  const u = rng() * mass;
  let running = 0;
  for (let i = 0; i < ids.length; i++) {
    running += probs[i]!;
    if (running > u) return ids[i]!;
  }
  return ids[ids.length - 1]!;
}
