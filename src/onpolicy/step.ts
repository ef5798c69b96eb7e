// One on-policy update's data, engine-neutral (src/language/on-policy.ts is the rule): which prompts
// the step takes, the seed of its sampling streams, and how sampled responses with their rewards
// become the step's RolloutRecords and training Samples. The sampling itself is the engine's
// (src/engine/tfjs/rollouts.ts for tfjs); the update is the trainer's.
import { groupAdvantages } from '../data/render.js';
import { mixSeed } from '../util/prng.js';
import { epochOrder } from '../data/batch.js';
import type { PromptRecord } from '../data/prompts.js';
import type { Sample } from '../data/types.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { RolloutRecord, RolloutResponse } from '../language/on-policy.js';

/** stepSeed(seed, s) = mixSeed(seed ^ 0x5a17, s): the seed of step s's sampling streams (contract rule 2). */
export function stepSeed(seed: number, step: number): number {
  return mixSeed((seed ^ 0x5a17) >>> 0, step);
}

/**
 * The positions (in the prompt list) of the prompts of the `batchInEpoch`-th batch of `epoch`: the
 * trainer's seeded per-epoch shuffle (makeBatches' order) over prompt positions, cut in batches.
 */
export function stepPromptPositions(promptCount: number, batch: number, seed: number, epoch: number, batchInEpoch: number): number[] {
  const order = epochOrder(Array.from({ length: promptCount }, (_, i) => i), seed, epoch);
  return order.slice(batchInEpoch * batch, (batchInEpoch + 1) * batch);
}

export type RolloutOutcome =
  | { ok: true; records: RolloutRecord[]; samples: Sample[]; reward: { mean: number; std: number }; sampleSeconds: number; rewardSeconds: number }
  | { ok: false; message: string };

/** An engine's sampling for on-policy training (src/engine/tfjs/rollouts.ts). */
export interface Sampler {
  /** Samples, scores and builds the samples of the update after `step` updates, for `prompts`. */
  rollout(step: number, prompts: readonly PromptRecord[]): Promise<RolloutOutcome>;
}

/** A response as the engine decoded it. */
export interface SampledResponse {
  ids: number[];
  finish: 'eos' | 'length';
}

/** Population mean and std of the step's rewards (metrics.jsonl's reward_mean and reward_std). */
export function rewardStats(rewards: readonly number[]): { mean: number; std: number } {
  if (rewards.length === 0) return { mean: 0, std: 0 };
  const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
  return { mean, std: Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / rewards.length) };
}

/**
 * The step's rollout records (one per prompt, responses in order) from each prompt's responses,
 * their texts and rewards; advantages are normalised within each prompt (groupAdvantages).
 */
export function rolloutRecords(
  step: number,
  prompts: readonly PromptRecord[],
  responses: ReadonlyArray<readonly SampledResponse[]>,
  texts: ReadonlyArray<readonly string[]>,
  rewards: ReadonlyArray<readonly number[]>,
): RolloutRecord[] {
  return prompts.map((p, i) => {
    const advantages = groupAdvantages(rewards[i]!);
    const rs: RolloutResponse[] = responses[i]!.map((r, j) => ({ ids: r.ids, completion: texts[i]![j]!, finish: r.finish, reward: rewards[i]![j]!, advantage: advantages[j]! }));
    return { step, prompt_index: p.index, prompt: p.text, responses: rs };
  });
}

/**
 * The training samples of the rollouts, prompt by prompt then response by response (rule 6): ids
 * = prompt + response (+ eos when it ended on eos), the loss on the response and the eos. The
 * text is prompt + completion; with `offsets` (an objective whose selectors read the text) each
 * response token's span is where its prefix's decoded text ends, else every offset is empty.
 */
export function rolloutSamples(
  records: readonly RolloutRecord[],
  prompts: readonly PromptRecord[],
  tokenizer: Pick<Tokenizer, 'eosId' | 'encode' | 'decode'>,
  options: { offsets: boolean },
): Sample[] {
  const samples: Sample[] = [];
  records.forEach((rec, i) => {
    const p = prompts[i]!;
    const promptOffsets = options.offsets ? tokenizer.encode(p.text).offsets : [];
    rec.responses.forEach((r, j) => {
      const eos = r.finish === 'eos' ? [tokenizer.eosId] : [];
      const ids = [...p.ids, ...r.ids, ...eos];
      const text = p.text + r.completion;
      const offsets: Array<[number, number]> = options.offsets
        ? [...p.ids.map((_, t) => promptOffsets[t] ?? ([p.text.length, p.text.length] as [number, number])), ...responseOffsets(r.ids, p.text.length, tokenizer), ...eos.map(() => [text.length, text.length] as [number, number])]
        : ids.map(() => [0, 0]);
      samples.push({
        index: p.index * rec.responses.length + j,
        ids,
        lossMask: ids.map((_, t) => t >= p.ids.length),
        offsets,
        text,
        reward: r.reward,
        advantage: r.advantage,
        spanScores: {},
        source: p.source,
      });
    });
  });
  return samples;
}

/** Each response token's span in prompt + completion: from where its prefix's text ended to where its own ends. */
function responseOffsets(ids: readonly number[], base: number, tokenizer: Pick<Tokenizer, 'decode'>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let prev = 0;
  for (let k = 0; k < ids.length; k++) {
    const end = tokenizer.decode(ids.slice(0, k + 1), { skipSpecialTokens: true }).length;
    out.push([base + Math.min(prev, end), base + end]);
    prev = Math.max(prev, end);
  }
  return out;
}
