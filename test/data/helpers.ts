// Fixture paths and readable views of samples for the data tests.
import { join } from 'node:path';
import { repoRoot } from '../helpers/golden.js';
import type { Sample } from '../../src/data/types.js';

export const dataFixture = (name: string): string => join(repoRoot, 'test', 'fixtures', 'data', name);

/**
 * The text of the tokens whose mask is `loss`, joined. Byte-level tokens that split one character
 * share its span, so a span equal to the previous one is counted once.
 */
function maskedText(s: Sample, loss: boolean): string {
  let out = '';
  s.offsets.forEach(([a, b], i) => {
    const prev = s.offsets[i - 1];
    if (s.lossMask[i] === loss && !(prev && prev[0] === a && prev[1] === b)) out += s.text.slice(a, b);
  });
  return out;
}

/** What the model is trained to write. */
export const lossText = (s: Sample): string => maskedText(s, true);

/** The text of the tokens without a loss. */
export const promptText = (s: Sample): string => maskedText(s, false);
