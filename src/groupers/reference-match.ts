// The reference model's ce (ref_ce, excess, excess_loss()) is read token by token next to the
// policy's: position t of a sample must mean the same token for both. That holds only when the
// reference tokenizes exactly like the policy. A reference with another vocabulary (the bundled
// 2,048-id model against a 97-id character model, say) would be accepted by the model loader and
// give numbers that mean nothing, so it is refused here, naming both directories.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { formatTokenizerErrors, loadTokenizer } from '../tokenizer/index.js';
import type { Tokenizer } from '../tokenizer/types.js';

/**
 * Text whose ids differ between any two tokenizers that differ in practice: letters of both cases,
 * digits, punctuation, runs of spaces and a newline, an accented and a non-Latin word, and an emoji
 * (byte fallback).
 */
export const PROBE_TEXT = 'Question: What is the capital of Velmora?\nAnswer:  The capital is Ostrel, founded in 1847 (or 1849) — café, naïve, Москва, 東京 🙂.';

/** Why `referenceDir` cannot serve as the reference of a policy using `policy`; undefined when it can. */
export function referenceTokenizerProblem(policy: Tokenizer, referenceDir: string): string | undefined {
  if (sameDir(policy.source, referenceDir)) return undefined;
  const where = `the reference model ${referenceDir} and the policy's tokenizer ${policy.source}`;
  if (!existsSync(join(referenceDir, 'tokenizer.json'))) {
    // No tokenizer to compare (a bare weights directory): at least every policy id must have an embedding.
    const vocab = configVocab(referenceDir);
    if (vocab !== undefined && vocab < policy.vocabSize) {
      return `${where} do not match: the reference has ${vocab} embeddings for a vocabulary of ${policy.vocabSize} ids (and no tokenizer.json to compare)`;
    }
    return undefined;
  }
  const loaded = loadTokenizer(referenceDir);
  if (!loaded.ok) return `reference model ${referenceDir}: its tokenizer cannot be read, so its ids cannot be checked against the policy's tokenizer ${policy.source}: ${formatTokenizerErrors(loaded.errors)}`;
  const reference = loaded.tokenizer;
  const hint = 'ref_ce (excess, excess_loss()) compares the two models token by token, so the reference must use the policy\'s tokenizer; point reference.path at a model trained with it';
  if (reference.vocabSize !== policy.vocabSize) {
    return `${where} do not match: vocabularies of ${reference.vocabSize} and ${policy.vocabSize} ids; ${hint}`;
  }
  const a = reference.encode(PROBE_TEXT).ids;
  const b = policy.encode(PROBE_TEXT).ids;
  const at = firstDifference(a, b);
  if (at !== undefined) {
    return `${where} do not match: a probe text gives different ids from token ${at} on (${show(a, at)} vs ${show(b, at)}); ${hint}`;
  }
  return undefined;
}

function configVocab(dir: string): number | undefined {
  try {
    const v = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { vocab_size?: unknown }).vocab_size;
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

function sameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function firstDifference(a: readonly number[], b: readonly number[]): number | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return undefined;
}

function show(ids: readonly number[], from: number): string {
  const part = ids.slice(from, from + 4);
  return `[${part.join(', ')}${ids.length > from + 4 ? ', …' : ''}]`;
}
