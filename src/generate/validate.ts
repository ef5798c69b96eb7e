// The checks every generation request passes before a model runs: decoding options in range, and
// each prompt non-empty, inside the vocabulary and short enough that prompt + max_new fits the
// model's positions. Problems are messages naming the option or the prompt (by the label the caller
// gives it: `--prompt 2`, `questions.jsonl:14`); nothing is thrown.
import type { DecodeOptions } from './types.js';

/** Bounds on what one request may ask for (memory and time stay bounded). */
export const GENERATION_LIMITS = { maxN: 64, maxPrompts: 100_000, maxTopK: 1 << 20 } as const;

export function optionProblems(o: DecodeOptions): string[] {
  const p: string[] = [];
  if (!Number.isInteger(o.maxNew) || o.maxNew < 1) p.push(`--max-new ${o.maxNew}: expected a whole number of at least 1`);
  if (!Number.isFinite(o.temperature) || o.temperature < 0) p.push(`--temperature ${o.temperature}: expected a number ≥ 0 (0 is greedy)`);
  if (!Number.isInteger(o.topK) || o.topK < 0 || o.topK > GENERATION_LIMITS.maxTopK) p.push(`--top-k ${o.topK}: expected a whole number from 0 (off) to ${GENERATION_LIMITS.maxTopK}`);
  if (!Number.isFinite(o.topP) || o.topP <= 0 || o.topP > 1) p.push(`--top-p ${o.topP}: expected a number in (0, 1] (1 is off)`);
  if (!Number.isInteger(o.n) || o.n < 1 || o.n > GENERATION_LIMITS.maxN) p.push(`--n ${o.n}: expected a whole number from 1 to ${GENERATION_LIMITS.maxN}`);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff) p.push(`--seed ${o.seed}: expected a whole number from 0 to 4294967295`);
  return p;
}

export interface LabelledPrompt {
  /** How a message names it. */
  label: string;
  ids: readonly number[];
}

/** Per-prompt problems against a model with `positions` positions and `vocab` embeddings. */
export function promptProblems(prompts: readonly LabelledPrompt[], maxNew: number, positions: number, vocab: number): string[] {
  const p: string[] = [];
  if (prompts.length === 0) p.push('no prompts to generate from');
  if (prompts.length > GENERATION_LIMITS.maxPrompts) p.push(`${prompts.length} prompts: at most ${GENERATION_LIMITS.maxPrompts} in one request`);
  if (maxNew >= positions) p.push(`--max-new ${maxNew}: the model has ${positions} positions, so at most ${positions - 1} new tokens after a one-token prompt`);
  for (const { label, ids } of prompts) {
    if (p.length >= 20) {
      p.push('… (further problems not listed)');
      break;
    }
    if (ids.length === 0) p.push(`${label}: the prompt is empty (it encodes to no tokens)`);
    else if (ids.length + maxNew > positions) {
      p.push(`${label}: ${ids.length} prompt tokens + --max-new ${maxNew} exceed the model's ${positions} positions; shorten the prompt or lower --max-new`);
    }
    const bad = ids.find((id) => !(Number.isInteger(id) && id >= 0 && id < vocab));
    if (bad !== undefined) p.push(`${label}: token id ${bad} is outside the model's vocabulary of ${vocab}`);
  }
  return p;
}
