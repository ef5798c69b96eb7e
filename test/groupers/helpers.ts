// Hand-made samples for the grouper tests: explicit ids, loss masks, offsets and text, so every
// expected value can be computed in the test from the formula, without a tokenizer.
import type { Sample } from '../../src/data/types.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';
import { mulberry32 } from '../../src/util/prng.js';

/**
 * A sample whose text is its tokens' strings joined by single spaces (token t covers word t).
 * `loss` marks the loss tokens (default: all but the first).
 */
export function sampleOf(index: number, ids: number[], loss?: boolean[], spanScores: Sample['spanScores'] = {}): Sample {
  const words = ids.map((id) => `w${id}`);
  const offsets: Array<[number, number]> = [];
  let at = 0;
  for (const w of words) {
    offsets.push([at, at + w.length]);
    at += w.length + 1;
  }
  return {
    index, ids, lossMask: loss ?? ids.map((_, t) => t > 0), offsets, text: words.join(' '),
    reward: 0, advantage: 0, spanScores, source: { file: 'mem.jsonl', line: index + 1 },
  };
}

/** Random samples over a small vocabulary, so ids repeat within and across samples (ties). */
export function randomSamples(count: number, seed: number, vocab = 6, length: [number, number] = [3, 12]): Sample[] {
  const next = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const n = length[0] + Math.floor(next() * (length[1] - length[0] + 1));
    const ids = Array.from({ length: n }, () => Math.floor(next() * vocab));
    // Roughly the first third is the prompt; occasionally a masked token inside the response.
    const loss = ids.map((_, t) => t >= Math.floor(n / 3) && next() > 0.1);
    return sampleOf(i, ids, loss);
  });
}

/** Just enough of a Tokenizer for the scorers (source, pad id, token strings). */
export function fakeTokenizer(source = '/nonexistent/tokenizer'): Tokenizer {
  return {
    source, vocabSize: 100, padId: 0, eosId: 1, specialTokens: {},
    encode: () => ({ ids: [], offsets: [] }),
    decode: () => '',
    idToToken: (id) => `<${id}>`,
    tokenToId: () => undefined,
    applyChatTemplate: () => undefined,
  };
}
