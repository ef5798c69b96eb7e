// Whether a model can take a run's sequences: one check for every place that loads a model for
// training or scoring (the tfjs engine, the torch engine's initial weights, the groups view), so
// the three say the same thing in the same words, before any step runs.
import type { ModelConfig } from './types.js';

/** A token sequence and where it came from (a data record's file and line). */
export interface LocatedIds {
  ids: readonly number[];
  source: { file: string; line: number };
}

/**
 * The first reason `shape` cannot take these sequences, or undefined: fewer embeddings than the
 * tokenizer has tokens (`label` names the model), a sequence longer than the model's positions, or
 * (on-policy) a prompt whose sampled continuation of `maxNew` tokens would not fit.
 */
export function modelFitProblem(
  label: string,
  shape: Pick<ModelConfig, 'vocabSize' | 'maxPositions'>,
  tokenizerVocab: number,
  sequences: Iterable<LocatedIds>,
  sampling?: { prompts: Iterable<LocatedIds>; maxNew: number },
): string | undefined {
  if (shape.vocabSize < tokenizerVocab) return `${label}: the tokenizer has ${tokenizerVocab} tokens but the model only ${shape.vocabSize} embeddings`;
  for (const s of sequences) {
    if (s.ids.length > shape.maxPositions) return `${s.source.file}:${s.source.line}: ${s.ids.length} tokens exceed the model's ${shape.maxPositions} positions; lower data.max_len`;
  }
  if (sampling !== undefined && sampling.maxNew > 0) {
    for (const p of sampling.prompts) {
      if (p.ids.length + sampling.maxNew > shape.maxPositions) {
        return `${p.source.file}:${p.source.line}: the prompt's ${p.ids.length} tokens + sample.max_new ${sampling.maxNew} exceed the model's ${shape.maxPositions} positions`;
      }
    }
  }
  return undefined;
}
