// Our aligned offsets against the offsets Hugging Face `tokenizers` itself reports, for tokenizers
// of other schemes built by fixtures/hf/make.py (WordPiece with accent stripping and lower-casing,
// BPE and Unigram with Metaspace). Spans are compared on their non-whitespace content: the library
// gives a word-initial `▁` the space before the word (or the first character, at the start of the
// text), where we give the word alone; both name the same text for grouping and regex().
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtureDir, mustLoad } from './helpers.js';

interface Expected {
  text: string;
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
}

/** Python counts code points; JavaScript strings count UTF-16 units. */
const utf16 = (text: string, cp: number): number => [...text].slice(0, cp).join('').length;

function content(text: string, [s, e]: readonly [number, number]): string {
  return text.slice(s, e).trim();
}

for (const scheme of ['wordpiece', 'metaspace-bpe', 'unigram']) {
  describe(`offsets agree with Hugging Face tokenizers: ${scheme}`, () => {
    const dir = join(fixtureDir('hf'), scheme);
    const tokenizer = mustLoad(dir);
    const cases = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected[];
    for (const c of cases) {
      it(JSON.stringify(c.text), () => {
        const mine = tokenizer.encode(c.text);
        assert.deepEqual(mine.ids, c.ids, 'Tokenizers.js gives the same ids');
        const theirs = c.offsets.map(([s, e]) => [utf16(c.text, s), utf16(c.text, e)] as [number, number]);
        const differ = c.tokens.flatMap((tok, i) => {
          // A lone `▁` is whitespace in our view, the following character's in theirs at the text's start.
          const expected = tok === '▁' ? '' : content(c.text, theirs[i]!);
          const got = content(c.text, mine.offsets[i]!);
          return expected === got ? [] : [`${tok}: ${JSON.stringify(expected)} vs ours ${JSON.stringify(got)}`];
        });
        assert.deepEqual(differ, []);
      });
    }
  });
}
