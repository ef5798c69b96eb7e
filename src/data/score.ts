// Scoring generated answers against a `prompts` record's `answer` and `facts` (LANGUAGE.md §9),
// after SQuAD-style normalisation, so "The Sisoth." and "sisoth" agree and "1,862" and "1862" too.
//
// normalizeAnswer(s), step by step:
//   1. Unicode NFKC (full-width digits and letters, ligatures, non-breaking spaces become plain ones);
//      format characters (\p{Cf}: zero-width spaces, soft hyphens, BOM) are deleted.
//   2. Lower case (String.prototype.toLowerCase: locale-independent).
//   3. Numbers: a comma between two digits is deleted (thousands separator: "1,862" → "1862"); a
//      period between two digits is kept (decimal point: "3.5" stays "3.5"); a minus sign (- or −)
//      that starts a word and is followed by a digit is kept as "-" ("-40" stays "-40").
//   4. Every other punctuation or symbol character (\p{P}, \p{S}) becomes a space. SQuAD deletes
//      them; a space keeps word boundaries, so "Movan's" → "movan s" still contains "movan" and
//      "red/blue" is two words.
//   5. The English articles "a", "an", "the" are removed as whole words.
//   6. Whitespace runs become one space; leading and trailing whitespace goes.
// Diacritics are kept ("é" ≠ "e"): in the bundled world's names they are part of the name.

/** What a `prompts` record says a good answer is (a PromptRecord has these fields). */
export interface AnswerKey {
  answer?: string;
  facts?: readonly string[];
}

/** The scores of one completion; a field is absent when the record has nothing to score it against. */
export interface CompletionScore {
  /** 1 when the normalised completion equals the normalised answer, else 0. */
  exact?: number;
  /** 1 when the normalised answer occurs in the normalised completion as whole words, else 0. */
  contains?: number;
  /** Share of the facts found (whole words, after normalisation), in [0, 1]. */
  facts?: number;
}

export interface ScoreSummary {
  /** Completions scored. */
  n: number;
  /** Completions whose record has an answer (the count behind `exact` and `contains`). */
  nAnswer: number;
  /** Completions whose record has facts (the count behind `facts`). */
  nFacts: number;
  /** Means over the completions that have each score; absent when none has it. */
  exact?: number;
  contains?: number;
  facts?: number;
}

const ARTICLES = new Set(['a', 'an', 'the']);
const DIGIT = /\p{Nd}/u;

/** The normal form answers and completions are compared in (the rule is at the top of this file). */
export function normalizeAnswer(s: string): string {
  const text = s.normalize('NFKC').replace(/\p{Cf}/gu, '').toLowerCase();
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (!/[\p{P}\p{S}]/u.test(c)) {
      out += c;
      continue;
    }
    const before = text[i - 1] ?? '';
    const after = text[i + 1] ?? '';
    if (c === ',' && DIGIT.test(before) && DIGIT.test(after)) continue;
    if (c === '.' && DIGIT.test(before) && DIGIT.test(after)) out += '.';
    else if ((c === '-' || c === '\u2212') && DIGIT.test(after) && !/[\p{L}\p{N}]/u.test(before)) out += '-';
    else out += ' ';
  }
  return out
    .split(/\s+/u)
    .filter((w) => w !== '' && !ARTICLES.has(w))
    .join(' ');
}

/** Whole-word containment of normalised strings; exact equality counts (so exact implies contains). */
function containsNormalized(completion: string, answer: string): boolean {
  if (completion === answer) return true;
  if (answer === '') return false; // nothing to look for in a non-empty completion
  return ` ${completion} `.includes(` ${answer} `);
}

export function exactMatch(completion: string, answer: string): boolean {
  return normalizeAnswer(completion) === normalizeAnswer(answer);
}

/**
 * The normalised answer occurs in the normalised completion as a run of whole words: "Sisoth" is in
 * "It flows through the Sisoth." but not in "Sisothan". An answer that normalises to nothing is
 * found only in a completion that does too (as exactMatch would say).
 */
export function containsAnswer(completion: string, answer: string): boolean {
  return containsNormalized(normalizeAnswer(completion), normalizeAnswer(answer));
}

/** Share of `facts` each found in the completion as containsAnswer finds an answer; undefined for no facts. */
export function factShare(completion: string, facts: readonly string[]): number | undefined {
  if (facts.length === 0) return undefined;
  const c = normalizeAnswer(completion);
  return facts.filter((f) => containsNormalized(c, normalizeAnswer(f))).length / facts.length;
}

export function scoreCompletion(completion: string, record: AnswerKey): CompletionScore {
  const score: CompletionScore = {};
  if (record.answer !== undefined) {
    const c = normalizeAnswer(completion);
    const a = normalizeAnswer(record.answer);
    score.exact = c === a ? 1 : 0;
    score.contains = containsNormalized(c, a) ? 1 : 0;
  }
  const facts = record.facts === undefined ? undefined : factShare(completion, record.facts);
  if (facts !== undefined) score.facts = facts;
  return score;
}

/** Means of each score over the completions that have it. */
export function scoreSummary(scores: readonly CompletionScore[]): ScoreSummary {
  const mean = (xs: number[]) => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);
  const exact = scores.flatMap((s) => (s.exact === undefined ? [] : [s.exact]));
  const contains = scores.flatMap((s) => (s.contains === undefined ? [] : [s.contains]));
  const facts = scores.flatMap((s) => (s.facts === undefined ? [] : [s.facts]));
  const summary: ScoreSummary = { n: scores.length, nAnswer: exact.length, nFacts: facts.length };
  const e = mean(exact);
  const c = mean(contains);
  const f = mean(facts);
  if (e !== undefined) summary.exact = e;
  if (c !== undefined) summary.contains = c;
  if (f !== undefined) summary.facts = f;
  return summary;
}
