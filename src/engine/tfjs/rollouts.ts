// On-policy sampling on the tfjs engine (src/language/on-policy.ts rules 2–6): the model's current
// weights copied to float32 arrays, the cached decoder of src/model/decode/ run by the shared loop
// (src/generate/decode-loop.ts) with each prompt's streams keyed by its PromptRecord.index, the
// texts decoded with special tokens skipped, the rewards, the advantages, and the step's samples.
import { decodeRows } from '../../generate/decode-loop.js';
import type { CausalLM } from '../../model/types.js';
import { computeRewards } from '../../onpolicy/rewards.js';
import { rewardStats, rolloutRecords, rolloutSamples, stepSeed, type SampledResponse, type Sampler } from '../../onpolicy/step.js';
import type { OnPolicyNeeds } from '../../language/on-policy.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { decoderOf, DEFAULT_DECODE_BATCH, fitDecodeBatch } from './generate.js';

export function tfjsSampler(model: CausalLM, tokenizer: Tokenizer, needs: OnPolicyNeeds, options: { seed: number; offsets: boolean; cwd?: string }): Sampler {
  const { sample, reward } = needs;
  return {
    async rollout(step, prompts) {
      const t0 = performance.now();
      // The weights as this update starts: the policy the responses are sampled from.
      const decoder = decoderOf(model);
      const longest = Math.max(...prompts.map((p) => p.ids.length)) + sample.maxNew;
      const batch = fitDecodeBatch(model.config.numLayers, decoder.kvWidth, longest, Math.max(DEFAULT_DECODE_BATCH, prompts.length * sample.n));
      if (batch === undefined) return { ok: false, message: `one response's key/value cache of ${longest} tokens does not fit the decode budget; lower sample.max_new or shorten the prompts` };
      const rows = await decodeRows(decoder, {
        prompts: prompts.map((p) => p.ids),
        options: { maxNew: sample.maxNew, temperature: sample.temperature, topK: 0, topP: sample.topP, n: sample.n, seed: stepSeed(options.seed, step) },
        eosId: tokenizer.eosId,
        batch,
        promptKeys: prompts.map((p) => p.index),
      });
      const responses: SampledResponse[][] = prompts.map(() => []);
      for (const r of rows) responses[r.prompt]![r.sample] = { ids: r.ids, finish: r.finish };
      const texts = responses.map((rs) => rs.map((r) => tokenizer.decode(r.ids, { skipSpecialTokens: true })));
      const t1 = performance.now();
      const items = prompts.flatMap((p, i) => texts[i]!.map((completion, j) => ({ prompt: p, response: j, completion })));
      const scored = await computeRewards(reward, items, options.cwd === undefined ? {} : { cwd: options.cwd });
      if (!scored.ok) return scored;
      const rewards = prompts.map((_, i) => scored.rewards.slice(i * sample.n, (i + 1) * sample.n));
      const records = rolloutRecords(step + 1, prompts, responses, texts, rewards);
      const samples = rolloutSamples(records, prompts, tokenizer, { offsets: options.offsets });
      return { ok: true, records, samples, reward: rewardStats(scored.rewards), sampleSeconds: (t1 - t0) / 1000, rewardSeconds: (performance.now() - t1) / 1000 };
    },
  };
}
