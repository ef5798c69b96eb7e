// A byte-level BPE trainer for the bundled tokenizer (GPT-2's scheme: the GPT-2 pre-tokenizer regex,
// bytes mapped to printable characters, merges learnt by pair frequency). Hand-written because no
// BPE trainer runs in Node without native code; our corpus is small and closed, so the plain
// algorithm (recount all pairs after each merge) takes seconds. Ties break on the pair's text, so
// the result is deterministic.
import { toByteLevel, BYTE_TO_CHAR } from '../../src/tokenizer/byte-level.js';

/** GPT-2's pre-tokenizer pattern, which the ByteLevel pre-tokenizer applies with use_regex = true. */
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export interface BpeModel {
  /** Token string → id, specials first, then the 256 byte characters, then merged tokens. */
  vocab: Map<string, number>;
  merges: Array<[string, string]>;
}

export function wordCounts(texts: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const m of text.matchAll(GPT2_PATTERN)) {
      const w = toByteLevel(m[0]);
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}

export function trainBpe(texts: Iterable<string>, specials: readonly string[], vocabSize: number): BpeModel {
  const vocab = new Map<string, number>();
  for (const s of specials) vocab.set(s, vocab.size);
  // Bytes in numeric order, as GPT-2 lists them.
  for (let b = 0; b < 256; b++) vocab.set(BYTE_TO_CHAR[b]!, vocab.size);
  const words = [...wordCounts(texts)].map(([w, count]) => ({ symbols: [...w], count }));
  const merges: Array<[string, string]> = [];
  while (vocab.size < vocabSize) {
    const pairs = new Map<string, number>();
    for (const { symbols, count } of words) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = symbols[i] + '\u0000' + symbols[i + 1];
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    let best: string | undefined;
    let bestCount = 1; // a pair seen once teaches nothing
    for (const [key, count] of pairs) {
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === undefined) break;
    const [a, b] = best.split('\u0000') as [string, string];
    const merged = a + b;
    merges.push([a, b]);
    vocab.set(merged, vocab.size);
    for (const word of words) {
      const s = word.symbols;
      if (s.length < 2) continue;
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else {
          out.push(s[i]!);
        }
      }
      word.symbols = out;
    }
  }
  return { vocab, merges };
}
