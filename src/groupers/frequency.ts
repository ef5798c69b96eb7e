// frequency(): a loss token's score is how often its id occurs among the loss tokens of the whole
// training corpus. Eval samples take the training counts (0 for ids the training data never has).
import type { Sample } from '../data/types.js';
import { lossIds, scoreLossTokens, type SampleScores } from './sample-scores.js';

export function corpusCounts(train: readonly Sample[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const s of train) for (const id of lossIds(s)) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

export function frequencyScores(train: readonly Sample[], samples: readonly Sample[]): SampleScores[] {
  const counts = corpusCounts(train);
  return samples.map((s) => scoreLossTokens(s, (t) => counts.get(s.ids[t]!) ?? 0));
}
