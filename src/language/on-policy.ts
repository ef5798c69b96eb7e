// On-policy training as both engines run it (LANGUAGE.md §8: `sample { … }` and `reward = …`).
// Types only (no TensorFlow.js, no child processes). The rule below is the contract between the
// tfjs engine's loop (src/onpolicy/, src/train/) and the torch engine's generated program
// (src/engine/torch/python/): the same prompts, seed and initial weights give the same rollouts
// (token ids) on both, and `--nproc 2` gives the same as one process.
//
// One update at step s (0-based, counting updates already done, so a resumed run continues the
// stream):
//   1. Prompts: the step's batch of `train.batch` prompts is taken from the prompt list in the
//      order the trainer's seeded per-epoch shuffle gives for samples (the same order function,
//      over prompt indices). With nproc ranks, each rank takes its share of the batch as the
//      engines already shard a batch of samples.
//   2. Sampling (no gradient, key/value cache), the rule of src/generate/types.ts with
//      temperature, top_p, top-k 0 and max_new from `sample { }`, except that the stream of
//      response j of the prompt whose index (PromptRecord.index, position in the file) is i is
//          mulberry32(mixSeed(stepSeed(seed, s), i · n + j)),   stepSeed(seed, s) = mixSeed(seed ^ 0x5a17, s)
//      so a response does not depend on which rank or batch row decoded it.
//   3. A response ends at eos or after max_new tokens. Its text is tokenizer.decode(ids) with
//      special tokens skipped (the torch program gets a byte table per id from Node to do the same).
//   4. Reward: the `reward` verifier on (prompt record, response text). exact/contains/facts use
//      src/data/score.ts (normalizeAnswer, exactMatch, containsAnswer, factShare; a record
//      without the field scores 0); regex: 1 when the pattern matches the response, else 0;
//      command: the program's number (see RewardSpec).
//   5. Advantage within the prompt's n responses: (r − mean) / (std + 1e-6), std the sample std
//      (÷ (n − 1)); one response: mean 0, std 1 (the `responses` format's rule, src/data/).
//   6. Each (prompt, response) becomes a training Sample: ids = prompt ids + response ids (+ eos
//      when it ended on eos), loss on the response tokens and the eos, `reward` and `advantage`
//      set; the objective's update runs on these batch · n samples (grad_accum splits them).
//   7. rank 0 appends one RolloutRecord per prompt to the run's rollouts.jsonl, in prompt order
//      of the batch.

/** `sample { n, temperature, top_p, max_new }` with its defaults applied (schemas/sample.schema.json). */
export interface SampleSettings {
  /** Responses per prompt (≥ 1). */
  n: number;
  /** 0 is greedy. */
  temperature: number;
  /** 1 keeps every token. */
  topP: number;
  /** New tokens per response at most. */
  maxNew: number;
}

/**
 * The file's `reward = …` verifier. `command` runs PATH (as written, joined to the folder of the
 * .sftgo that names it: absolute when that file was compiled by an absolute path, else relative to
 * the working directory, so resolve it before running) without a shell, once per step's batch: JSONL `{prompt, response, record}` on
 * stdin, one number a line on stdout, within `timeoutMs`; a hang, a non-zero exit, a line that is
 * not a number, or the wrong number of lines is an error naming the record.
 */
export type RewardSpec =
  | { kind: 'exact' }
  | { kind: 'contains' }
  | { kind: 'facts' }
  | { kind: 'regex'; pattern: string }
  | { kind: 'command'; path: string; timeoutMs: number };

/** What on-policy training needs, read off the compiled objective and settings (Analysis.onPolicy). */
export interface OnPolicyNeeds {
  sample: SampleSettings;
  reward: RewardSpec;
}

/** One response in a rollout. */
export interface RolloutResponse {
  /** Generated ids, without the eos that ended it. */
  ids: number[];
  completion: string;
  finish: 'eos' | 'length';
  reward: number;
  advantage: number;
}

/** One line of rollouts.jsonl: a prompt's n responses at one step. */
export interface RolloutRecord {
  /** The update this rollout trained (1-based, as metrics.jsonl counts steps). */
  step: number;
  /** PromptRecord.index. */
  prompt_index: number;
  prompt: string;
  responses: RolloutResponse[];
}
