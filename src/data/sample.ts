// Tokenising a rendered record into a Sample: ids, offsets, the loss mask from the response ranges,
// eos after the response, truncation to max_len.
//
// Mask rule: a token carries a loss when its character span overlaps a response range (so a token
// that straddles the prompt/response boundary counts as response), or always under loss_on = "all";
// token 0 never does, since nothing predicts it. The appended eos carries a loss.
//
// Bounded work: a sample keeps its first max_len tokens, so only a window of the text's head is ever
// tokenised (TOKENISE_WINDOW): a record of 8 MiB or a prompt of a million tokens costs what a
// window does, not gigabytes of token arrays. A sample whose loss tokens were all cut off is dropped.
import type { Tokenizer } from '../tokenizer/types.js';
import type { Rendered } from './render.js';
import type { LossOn, Sample } from './types.js';

export interface SampleOptions {
  lossOn: LossOn;
  /** Keep at most this many tokens (eos included); undefined keeps all. */
  maxLen?: number;
}

/**
 * UTF-16 units of text tokenised per token of max_len, plus a fixed slack. A token of a byte-level
 * BPE vocabulary covers a few characters (the bundled and GPT-2 vocabularies average under 5 on
 * English, and their longest tokens are well under 128), so a window of 32 per token holds far more
 * than max_len tokens: the first max_len tokens of the window are the first max_len of the whole
 * text. The slack keeps the cut far from them even for a tiny max_len, where the last pre-token
 * before the cut could tokenise differently.
 */
export const WINDOW_UNITS_PER_TOKEN = 32;
export const WINDOW_SLACK_UNITS = 4096;

export function tokeniseWindow(maxLen: number): number {
  return maxLen * WINDOW_UNITS_PER_TOKEN + WINDOW_SLACK_UNITS;
}

export interface BuiltSample {
  sample: Sample;
  /** Cut at max_len. */
  truncated: boolean;
  /** Truncated past its whole response: no token carries a loss any more (the caller drops it). */
  lostResponse: boolean;
}

export function buildSample(rendered: Rendered, tokenizer: Tokenizer, options: SampleOptions, index: number, source: { file: string; line: number }): BuiltSample {
  const window = options.maxLen === undefined ? Infinity : tokeniseWindow(options.maxLen);
  const cut = rendered.text.length > window;
  // Never split a surrogate pair: the half would tokenise as a replacement character.
  const end = cut && isHighSurrogate(rendered.text.charCodeAt(window - 1)) ? window - 1 : window;
  const text = cut ? rendered.text.slice(0, end) : rendered.text;
  const { ids, offsets } = tokenizer.encode(text);
  const lossMask = offsets.map(([s, e]) => options.lossOn === 'all' || rendered.responseRanges.some(([a, b]) => s < b && e > a));
  // A cut text's eos lies beyond the window, past max_len: it would be truncated anyway.
  if (!cut && rendered.appendEos && ids[ids.length - 1] !== tokenizer.eosId) {
    ids.push(tokenizer.eosId);
    offsets.push([text.length, text.length]);
    lossMask.push(true);
  }
  if (lossMask.length > 0) lossMask[0] = false;
  const truncated = cut || (options.maxLen !== undefined && ids.length > options.maxLen);
  const hadLoss = lossMask.some((m) => m);
  if (options.maxLen !== undefined && ids.length > options.maxLen) {
    ids.length = options.maxLen;
    offsets.length = options.maxLen;
    lossMask.length = options.maxLen;
  }
  // Cut text may leave the response wholly beyond the window: then it had loss tokens we never saw.
  const lostResponse = truncated && !lossMask.some((m) => m) && (hadLoss || cut);
  return {
    sample: { index, ids, lossMask, offsets, text, reward: rendered.reward, advantage: rendered.advantage, spanScores: rendered.spanScores, source },
    truncated,
    lostResponse,
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
