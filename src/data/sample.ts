// Tokenising a rendered record into a Sample: ids, offsets, the loss mask from the response ranges,
// eos after the response, truncation to max_len.
//
// Mask rule: a token carries a loss when its character span overlaps a response range (so a token
// that straddles the prompt/response boundary counts as response), or always under loss_on = "all";
// token 0 never does, since nothing predicts it. The appended eos carries a loss.
import type { Tokenizer } from '../tokenizer/types.js';
import type { Rendered } from './render.js';
import type { LossOn, Sample } from './types.js';

export interface SampleOptions {
  lossOn: LossOn;
  /** Keep at most this many tokens (eos included); undefined keeps all. */
  maxLen?: number;
}

export function buildSample(rendered: Rendered, tokenizer: Tokenizer, options: SampleOptions, index: number, source: { file: string; line: number }): { sample: Sample; truncated: boolean } {
  const { ids, offsets } = tokenizer.encode(rendered.text);
  const lossMask = offsets.map(([s, e]) => options.lossOn === 'all' || rendered.responseRanges.some(([a, b]) => s < b && e > a));
  if (rendered.appendEos && ids[ids.length - 1] !== tokenizer.eosId) {
    ids.push(tokenizer.eosId);
    offsets.push([rendered.text.length, rendered.text.length]);
    lossMask.push(true);
  }
  if (lossMask.length > 0) lossMask[0] = false;
  const truncated = options.maxLen !== undefined && ids.length > options.maxLen;
  if (truncated) {
    ids.length = options.maxLen!;
    offsets.length = options.maxLen!;
    lossMask.length = options.maxLen!;
  }
  return {
    sample: { index, ids, lossMask, offsets, text: rendered.text, reward: rendered.reward, advantage: rendered.advantage, spanScores: rendered.spanScores, source },
    truncated,
  };
}
