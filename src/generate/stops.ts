// From a decoded row to the completion a user reads: the ids decoded to text, cut at the first stop
// string when one appears (the completion then ends before it, keeps only the ids needed to produce
// it, and its log-probability covers just those), finish 'stop'.
import type { Completion, DecodedRow } from './types.js';

export function toCompletion(row: DecodedRow, prompt: string, decode: (ids: readonly number[]) => string, stops: readonly string[]): Completion {
  const text = decode(row.ids);
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  const hit = firstStop(text, stops);
  if (hit === undefined) return { prompt, sample: row.sample, completion: text, ids: row.ids, finish: row.finish, logprob: sum(row.logprobs) };
  // The shortest prefix of the ids whose text already contains the stop string.
  let k = 1;
  while (k < row.ids.length && firstStop(decode(row.ids.slice(0, k)), stops) === undefined) k++;
  return { prompt, sample: row.sample, completion: text.slice(0, hit), ids: row.ids.slice(0, k), finish: 'stop', logprob: sum(row.logprobs.slice(0, k)) };
}

/** Where the earliest stop string starts in `text`, or undefined. */
export function firstStop(text: string, stops: readonly string[]): number | undefined {
  let best: number | undefined;
  for (const s of stops) {
    const at = text.indexOf(s);
    if (at >= 0 && (best === undefined || at < best)) best = at;
  }
  return best;
}
