// The text of each token, which regex("PATTERN") selectors match against and the groups view
// prints: the characters of the rendered text the token covers (its offsets), so a byte-level BPE
// token shows its leading space as the user wrote it. A token that covers no characters (an
// end-of-sequence or template marker added by the data pipeline) falls back to the tokenizer's own
// string for the id, e.g. `<|endoftext|>`, so a pattern can still match it.
import type { Sample } from '../data/types.js';
import type { Tokenizer } from '../tokenizer/types.js';

export function tokenTexts(sample: Sample, tokenizer: Pick<Tokenizer, 'idToToken'> | undefined): string[] {
  return sample.ids.map((id, t) => {
    const [a, b] = sample.offsets[t] ?? [0, 0];
    if (b > a) return sample.text.slice(a, b);
    return tokenizer?.idToToken(id) ?? '';
  });
}
