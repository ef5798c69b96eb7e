// The shape every static scorer produces: one Float32Array per sample, indexed like Sample.ids and
// Sample.lossMask (position t scores token t). Positions that carry no loss hold 0; selectors only
// ever look at loss positions, so those zeros are never ranked.
import type { Sample } from '../data/types.js';

/** scores[t] for token t of one sample; 0 where lossMask[t] is false. */
export type SampleScores = Float32Array;

/** Token ids of the sample's loss tokens, in order. */
export function lossIds(sample: Sample): number[] {
  const out: number[] = [];
  for (let t = 0; t < sample.ids.length; t++) if (sample.lossMask[t]) out.push(sample.ids[t]!);
  return out;
}

/** Builds a sample's scores from a function of the loss position; other positions stay 0. */
export function scoreLossTokens(sample: Sample, score: (t: number) => number): SampleScores {
  const out = new Float32Array(sample.ids.length);
  for (let t = 0; t < sample.ids.length; t++) if (sample.lossMask[t]) out[t] = score(t);
  return out;
}
