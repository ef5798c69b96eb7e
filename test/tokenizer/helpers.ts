// Shared loading for tokenizer and data tests: the bundled tokenizer and the small fixtures.
import { join } from 'node:path';
import { repoRoot } from '../helpers/golden.js';
import { loadTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';

export const bundledTokenizerDir = join(repoRoot, 'assets', 'default', 'tokenizer');
export const fixtureDir = (name: string): string => join(repoRoot, 'test', 'tokenizer', 'fixtures', name);

const cache = new Map<string, Tokenizer>();

export function mustLoad(dir: string): Tokenizer {
  let t = cache.get(dir);
  if (t === undefined) {
    const r = loadTokenizer(dir);
    if (!r.ok) throw new Error(`test setup: ${dir}: ${r.errors.map((e) => e.message).join('; ')}`);
    t = r.tokenizer;
    cache.set(dir, t);
  }
  return t;
}

export const bundledTokenizer = (): Tokenizer => mustLoad(bundledTokenizerDir);

/** The text each token covers, for readable assertions. */
export function pieces(text: string, offsets: ReadonlyArray<readonly [number, number]>): string[] {
  return offsets.map(([s, e]) => text.slice(s, e));
}
