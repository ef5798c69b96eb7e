import { strict as assert } from 'node:assert';
import { alignOffsets } from '../../src/tokenizer/offsets.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('alignOffsets', () => {
  it('places surfaces that follow each other, skipping whitespace between them', () => {
    assert.deepEqual(alignOffsets('hello,  world', [bytes('hello'), bytes(','), bytes('world')]), [[0, 5], [5, 6], [8, 13]]);
  });
  it('matches ASCII letters regardless of case (lower-casing normalizers)', () => {
    assert.deepEqual(alignOffsets('Hello World', [bytes('hello'), bytes('world')]), [[0, 5], [6, 11]]);
  });
  it('treats a leading space of a surface as optional (Metaspace at the start of the text)', () => {
    assert.deepEqual(alignOffsets('hi there', [bytes(' hi'), bytes(' there')]), [[0, 2], [2, 8]]);
  });
  it('gives an unknown token the text between its placed neighbours, whitespace trimmed', () => {
    assert.deepEqual(alignOffsets('a ☃☃ b', [bytes('a'), undefined, bytes('b')]), [[0, 1], [2, 4], [5, 6]]);
  });
  it('shares unknown text among several unknown tokens a word, or a character, each', () => {
    assert.deepEqual(alignOffsets('a xy zw b', [bytes('a'), undefined, undefined, bytes('b')]), [[0, 1], [2, 4], [5, 7], [8, 9]]);
    assert.deepEqual(alignOffsets('a☃é b', [bytes('a'), undefined, undefined, bytes('b')]), [[0, 1], [1, 2], [2, 3], [4, 5]]);
    assert.deepEqual(alignOffsets('a xyz b', [bytes('a'), undefined, undefined, bytes('b')]), [[0, 1], [2, 5], [2, 5], [6, 7]], 'no even split: both get all');
  });
  it('gives a whitespace token with no whitespace in the text an empty span (a prepended ▁)', () => {
    assert.deepEqual(alignOffsets('Zy', [bytes(' '), undefined, undefined]), [[0, 0], [0, 1], [1, 2]]);
  });
  it('gives an unknown token at the end the rest of the text', () => {
    assert.deepEqual(alignOffsets('a xyz ', [bytes('a'), undefined]), [[0, 1], [2, 5]]);
  });
  it('gives a token absent from the text (a BOS) an empty span where it stands', () => {
    assert.deepEqual(alignOffsets('ab', [bytes('<s>'), bytes('ab')]), [[0, 0], [0, 2]]);
  });
  it('maps byte spans to UTF-16 spans; a token holding part of a character covers the character', () => {
    const snowman = bytes('☃'); // three bytes
    const emoji = bytes('😀'); // four bytes, two UTF-16 units
    const text = 'x☃😀';
    const offsets = alignOffsets(text, [bytes('x'), snowman.subarray(0, 2), snowman.subarray(2), emoji]);
    assert.deepEqual(offsets, [[0, 1], [1, 2], [1, 2], [2, 4]]);
  });
  it('returns one span per token for an empty text', () => {
    assert.deepEqual(alignOffsets('', [undefined, bytes('x')]), [[0, 0], [0, 0]]);
  });
});
