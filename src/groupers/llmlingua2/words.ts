// LLMLingua-2 scores words, not sub-words: the text the loss tokens cover is split into
// whitespace-delimited words, each word is tokenised on its own (as LLMLingua-2 feeds words with
// is_split_into_words), the encoder gives each sub-word a keep probability, and a word's
// probability is the mean of its sub-words' (or the first's). Words whose sub-words do not fit one
// encoder sequence are spread over several, split only between words where possible.
import type { CharSpan } from '../overlap.js';

export interface Word extends CharSpan {
  /** Sub-word ids of the word alone, without special tokens. */
  ids: number[];
}

/** Whitespace-delimited words of text[start, end). */
export function wordsIn(text: string, start: number, end: number): CharSpan[] {
  const out: CharSpan[] = [];
  const re = /\S+/gu;
  const part = text.slice(start, end);
  for (let m = re.exec(part); m !== null; m = re.exec(part)) out.push({ start: start + m.index, end: start + m.index + m[0].length });
  return out;
}

/**
 * Packs words into sequences of at most `limit` sub-words (special tokens excluded): whole words
 * while they fit; a single word longer than `limit` is cut into pieces.
 * Returns, per sequence, the (word index, sub-word index) of each position.
 */
export function packWords(words: readonly Word[], limit: number): Array<Array<[number, number]>> {
  const sequences: Array<Array<[number, number]>> = [];
  let current: Array<[number, number]> = [];
  words.forEach((w, wi) => {
    if (current.length > 0 && current.length + w.ids.length > limit) {
      sequences.push(current);
      current = [];
    }
    w.ids.forEach((_, si) => {
      if (current.length === limit) {
        sequences.push(current);
        current = [];
      }
      current.push([wi, si]);
    });
  });
  if (current.length > 0) sequences.push(current);
  return sequences;
}

/** A word's probability from its sub-words' (in order); a word without sub-words gets 0. */
export function aggregate(probs: readonly number[], how: 'mean' | 'first'): number {
  if (probs.length === 0) return 0;
  if (how === 'first') return probs[0]!;
  return probs.reduce((a, b) => a + b, 0) / probs.length;
}
