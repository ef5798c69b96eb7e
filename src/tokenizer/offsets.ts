// Character offsets for tokens. Tokenizers.js returns token strings but no offsets, so we recover
// them by alignment: each token is turned into the bytes it stands for in the text (its "surface",
// see surface.ts), and the surfaces are matched left to right against the text's UTF-8 bytes.
//
// Rules, in order, for each token with a surface:
//   1. it matches at the cursor, or after whitespace only (pre-tokenizers such as Whitespace drop
//      spaces); ASCII letters match case-insensitively so lower-casing normalizers still align;
//   2. otherwise, if earlier tokens are still unplaced, the next match anywhere ahead is taken and
//      the skipped text is given to those tokens;
//   3. otherwise the token is unplaced.
// Tokens without a surface (<unk>, a post-processor's BOS) are unplaced. Unplaced tokens between
// two placed ones divide the text between those (whitespace trimmed): a word each or a character
// each when the counts match, else they all get the whole of it; an empty span if there is none.
// Byte-level tokens that split a multi-byte character each cover that whole character.
import type { Offset } from './types.js';

const encoder = new TextEncoder();

interface ByteMap {
  bytes: Uint8Array;
  /** charStart[b]: UTF-16 index of the character that byte b belongs to. */
  charStart: Int32Array;
  /** charEnd[b]: UTF-16 index just after that character. */
  charEnd: Int32Array;
}

function byteMap(text: string): ByteMap {
  const bytes = encoder.encode(text);
  const charStart = new Int32Array(bytes.length);
  const charEnd = new Int32Array(bytes.length);
  let b = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++) {
      charStart[b + k] = i;
      charEnd[b + k] = i + units;
    }
    b += n;
    i += units;
  }
  return { bytes, charStart, charEnd };
}

function isSpaceByte(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d);
}

function lowerAscii(b: number): number {
  return b >= 0x41 && b <= 0x5a ? b + 32 : b;
}

function matchesAt(text: Uint8Array, at: number, surface: Uint8Array): boolean {
  if (at + surface.length > text.length) return false;
  for (let k = 0; k < surface.length; k++) {
    if (lowerAscii(text[at + k]!) !== lowerAscii(surface[k]!)) return false;
  }
  return true;
}

/**
 * Shares a region of unplaced text among n unplaced tokens: one word each when it has n words
 * (several <unk> for several unknown words), else one character each when it has n characters;
 * undefined (all share the region) otherwise.
 */
function splitRegion(bytes: Uint8Array, s: number, e: number, n: number): Array<[number, number]> | undefined {
  if (n < 2) return undefined;
  const words: Array<[number, number]> = [];
  for (let i = s; i < e; ) {
    if (isSpaceByte(bytes[i]!)) {
      i++;
      continue;
    }
    const start = i;
    while (i < e && !isSpaceByte(bytes[i]!)) i++;
    words.push([start, i]);
  }
  if (words.length === n) return words;
  const chars: Array<[number, number]> = [];
  for (let i = s; i < e; ) {
    // A UTF-8 character is a lead byte and its continuation bytes (10xxxxxx).
    const start = i++;
    while (i < e && (bytes[i]! & 0xc0) === 0x80) i++;
    if (!isSpaceByte(bytes[start]!)) chars.push([start, i]);
  }
  return chars.length === n ? chars : undefined;
}

/** Aligns token surfaces (bytes, or undefined when unknown) to `text`; returns UTF-16 spans. */
export function alignOffsets(text: string, surfaces: ReadonlyArray<Uint8Array | undefined>): Offset[] {
  const { bytes, charStart, charEnd } = byteMap(text);
  const byteSpans: Array<[number, number] | undefined> = new Array(surfaces.length).fill(undefined);
  let cursor = 0;
  let pending: number[] = [];

  const settlePending = (regionStart: number, regionEnd: number): void => {
    let s = regionStart;
    let e = regionEnd;
    while (s < e && isSpaceByte(bytes[s]!)) s++;
    while (e > s && isSpaceByte(bytes[e - 1]!)) e--;
    const parts = splitRegion(bytes, s, e, pending.length);
    pending.forEach((t, k) => (byteSpans[t] = parts?.[k] ?? [s, e]));
    pending = [];
  };

  for (let t = 0; t < surfaces.length; t++) {
    const surface = surfaces[t];
    if (surface === undefined || surface.length === 0) {
      pending.push(t);
      continue;
    }
    let at = -1;
    let matched = surface;
    // A Metaspace tokenizer writes the word-initial space even where the text has none (the
    // first word), so a surface's leading whitespace is optional.
    let lead = 0;
    while (lead < surface.length && isSpaceByte(surface[lead]!)) lead++;
    const trimmed = lead > 0 && lead < surface.length ? surface.subarray(lead) : undefined;
    // Rule 1: at the cursor or after whitespace.
    for (let j = cursor; j <= bytes.length; j++) {
      if (matchesAt(bytes, j, surface)) {
        at = j;
        break;
      }
      if (trimmed !== undefined && matchesAt(bytes, j, trimmed)) {
        at = j;
        matched = trimmed;
        break;
      }
      if (j >= bytes.length || !isSpaceByte(bytes[j]!)) break;
    }
    // Rule 2: skip unknown text on behalf of unplaced tokens.
    if (at < 0 && pending.length > 0) {
      for (let j = cursor; j + surface.length <= bytes.length; j++) {
        if (matchesAt(bytes, j, surface)) {
          at = j;
          break;
        }
      }
    }
    if (at < 0 && lead === surface.length) {
      // A whitespace token with no whitespace here: a space the tokenizer added (Metaspace's
      // prepended `▁`). It covers no text; it must not take a share of unknown text.
      byteSpans[t] = [cursor, cursor];
      continue;
    }
    if (at < 0) {
      pending.push(t);
      continue;
    }
    if (pending.length > 0) settlePending(cursor, at);
    byteSpans[t] = [at, at + matched.length];
    cursor = at + matched.length;
  }
  if (pending.length > 0) settlePending(cursor, bytes.length);

  return byteSpans.map((span) => {
    const [s, e] = span!;
    if (e <= s) {
      const at = s >= bytes.length ? text.length : charStart[s]!;
      return [at, at];
    }
    return [charStart[s]!, charEnd[e - 1]!];
  });
}
