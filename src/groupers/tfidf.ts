// tfidf(smooth, sublinear) over the training samples' loss tokens (LANGUAGE.md §6):
//   tf(id, s)  = count of id among s's loss tokens / s's loss tokens
//                (sublinear: 1 + ln(count), the raw-count form scikit-learn's sublinear_tf uses)
//   idf(id)    = ln((1 + N) / (1 + df)) + 1      (smooth, scikit-learn's smooth_idf)
//              = ln(N / df) + 1                  (not smooth)
// N = training samples, df = training samples whose loss tokens hold the id. Eval samples are scored
// with the training idf. An id that no training sample holds (df = 0) is fine for the smooth formula;
// the plain one would divide by zero, so it is scored as if seen in one sample (ln(N) + 1): the
// rarest id the training data could hold.
import type { Sample } from '../data/types.js';
import { lossIds, scoreLossTokens, type SampleScores } from './sample-scores.js';

export interface TfidfArgs {
  smooth: boolean;
  sublinear: boolean;
}

export interface Idf {
  /** Training samples. */
  n: number;
  /** Training samples whose loss tokens hold each id. */
  df: Map<number, number>;
  smooth: boolean;
}

export function fitIdf(train: readonly Sample[], smooth: boolean): Idf {
  const df = new Map<number, number>();
  for (const s of train) for (const id of new Set(lossIds(s))) df.set(id, (df.get(id) ?? 0) + 1);
  return { n: train.length, df, smooth };
}

export function idfOf(idf: Idf, id: number): number {
  const df = idf.df.get(id) ?? 0;
  if (idf.smooth) return Math.log((1 + idf.n) / (1 + df)) + 1;
  return Math.log(idf.n / Math.max(df, 1)) + 1;
}

/** Each loss token's tf·idf within its own sample. */
export function tfidfSample(sample: Sample, idf: Idf, sublinear: boolean): SampleScores {
  const ids = lossIds(sample);
  const counts = new Map<number, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return scoreLossTokens(sample, (t) => {
    const id = sample.ids[t]!;
    const count = counts.get(id)!;
    const tf = sublinear ? 1 + Math.log(count) : count / ids.length;
    return tf * idfOf(idf, id);
  });
}

/** Scores `samples` (training or eval) with the idf of `train`. */
export function tfidfScores(train: readonly Sample[], samples: readonly Sample[], args: TfidfArgs): SampleScores[] {
  const idf = fitIdf(train, args.smooth);
  return samples.map((s) => tfidfSample(s, idf, args.sublinear));
}
