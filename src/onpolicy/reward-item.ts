// What a reward scores (one sampled response with its prompt record), what scoring returns, and
// how messages name a response; shared by the in-process verifiers and the reward program.
import type { PromptRecord } from '../data/prompts.js';

/** One response to score: its prompt record, which of the prompt's responses it is, and its text. */
export interface RewardItem {
  prompt: PromptRecord;
  response: number;
  completion: string;
}

export type RewardResult = { ok: true; rewards: number[] } | { ok: false; message: string };

/** Where a response comes from, as error messages name it. */
export function itemName(item: RewardItem): string {
  return `prompt ${item.prompt.source.file}:${item.prompt.source.line} (index ${item.prompt.index}), response ${item.response}`;
}
