// column("FIELD"): per-token scores from the record's `scores: {FIELD: [{start, end, score}]}`
// character spans (LANGUAGE.md §9). A loss token takes the score of the span its characters
// overlap most (overlap.ts; ties to the earlier span); a token no span touches, or a sample without
// the field, scores 0.
import type { Sample } from '../data/types.js';
import { bestSpan } from './overlap.js';
import { scoreLossTokens, type SampleScores } from './sample-scores.js';

export function columnSample(sample: Sample, field: string): SampleScores {
  const spans = sample.spanScores[field] ?? [];
  return scoreLossTokens(sample, (t) => {
    const [a, b] = sample.offsets[t]!;
    const i = bestSpan(spans, a, b);
    return i < 0 ? 0 : spans[i]!.score;
  });
}

export function columnScores(samples: readonly Sample[], field: string): SampleScores[] {
  return samples.map((s) => columnSample(s, field));
}

/** True when at least one sample carries the field: a column nobody has is almost surely a typo. */
export function hasColumn(samples: readonly Sample[], field: string): boolean {
  return samples.some((s) => s.spanScores[field] !== undefined);
}

/** The fields the samples do carry, for the error message. */
export function columnsPresent(samples: readonly Sample[]): string[] {
  const fields = new Set<string>();
  for (const s of samples) for (const f of Object.keys(s.spanScores)) fields.add(f);
  return [...fields].sort();
}
