// The torch program turns a response's ids into its text without a tokenizer library: Node gives it
// the bytes each token id stands for and whether the decoder drops one leading space, and
// sftgoc_onpolicy.py's ResponseText joins the bytes, reads them as UTF-8 (U+FFFD for a broken
// sequence, as TextDecoder does) and strips that space. That is tokenizer.decode(ids,
// {skipSpecialTokens: true}) for the decoders sftgoc meets (byte-level BPE, Metaspace, SentencePiece
// with byte fallback); for any other, checkDecodeTable finds where the rule and the tokenizer
// disagree, and the run is refused rather than scored on other text.
import { byteLevelTokenBytes } from '../../tokenizer/byte-level.js';
import { mixSeed, mulberry32, randInt } from '../../util/prng.js';
import type { Tokenizer } from '../../tokenizer/types.js';

export interface DecodeTable {
  /** Hex of each id's bytes (empty for special tokens, which the decode skips). */
  table: string[];
  strip_leading_space: boolean;
  /** Transformers' clean_up_tokenization (" ," → ",", " n't" → "n't", …), which Tokenizers.js applies unless tokenizer_config.json turns it off. */
  clean_up_spaces: boolean;
}

/** transformers' clean_up_tokenization, as Tokenizers.js writes it (the same replacements in the same order). */
const CLEAN_UP: ReadonlyArray<readonly [string, string]> = [
  [' .', '.'], [' ?', '?'], [' !', '!'], [' ,', ','], [" ' ", "'"], [" n't", "n't"], [" 'm", "'m"], [" 's", "'s"], [" 've", "'ve"], [" 're", "'re"],
];

const encoder = new TextEncoder();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** The bytes one id stands for in the middle of a text. */
function tokenBytes(tokenizer: Tokenizer, id: number): Uint8Array {
  const skip = { skipSpecialTokens: true };
  const alone = tokenizer.decode([id], skip);
  // A special token: skipped by the decode (a lone `▁` also decodes to nothing, but is no special token).
  if (alone === '' && tokenizer.decode([id]) !== '') return new Uint8Array(0);
  const token = tokenizer.idToToken(id) ?? '';
  const fallback = /^<0x([0-9A-Fa-f]{2})>$/.exec(token);
  if (fallback) return Uint8Array.of(parseInt(fallback[1]!, 16));
  if (alone.includes('\uFFFD')) {
    // Part of a character: only the token's own spelling says which bytes (byte-level BPE).
    const bytes = byteLevelTokenBytes(token);
    if (bytes !== undefined) return bytes;
  }
  // The second of two copies shows what a decoder that trims the text's start (Metaspace) removed.
  const twice = tokenizer.decode([id, id], skip);
  return encoder.encode(twice.startsWith(alone) ? twice.slice(alone.length) : alone);
}

/**
 * The table and the rule's switches. Whether the tokenizer cleans up spaces is not in its interface,
 * so both readings are tried on the check's sequences and the one that agrees is kept; the caller
 * still runs checkDecodeTable, whose message says why a tokenizer is refused.
 */
export function decodeTable(tokenizer: Tokenizer): DecodeTable {
  const plain = tableWithoutCleanUp(tokenizer);
  const probes = cleanUpProbes(plain);
  if (checkDecodeTable(tokenizer, plain, 100, probes) === undefined) return plain;
  const cleaned = { ...plain, clean_up_spaces: true };
  return checkDecodeTable(tokenizer, cleaned, 100, probes) === undefined ? cleaned : plain;
}

/** Sequences where the clean-up would change the text: a token holding " ," and the like, or one ending in a space before one starting with ",". */
export function cleanUpProbes(t: DecodeTable): number[][] {
  const text = t.table.map((h) => Buffer.from(h, 'hex').toString('utf8'));
  const ids = (keep: (s: string) => boolean) => text.flatMap((s, id) => (keep(s) ? [id] : [])).slice(0, 4);
  const out: number[][] = ids((s) => CLEAN_UP.some(([from]) => s.includes(from))).map((id) => [id]);
  const spaced = ids((s) => s.endsWith(' '));
  // After a word, so that a decoder's trimming of the text's start is not what removes the space.
  const word = ids((s) => /^[A-Za-z]+$/.test(s))[0];
  const lead = word === undefined ? [] : [word];
  for (const [from] of CLEAN_UP) for (const b of ids((s) => s.startsWith(from.slice(1)))) for (const a of spaced) out.push([...lead, a, b]);
  return out;
}

function tableWithoutCleanUp(tokenizer: Tokenizer): DecodeTable {
  const bytes = Array.from({ length: tokenizer.vocabSize }, (_, id) => tokenBytes(tokenizer, id));
  // A decoder strips a leading space when a token that stands for " x" decodes alone to "x".
  const strip = bytes.some((b, id) => b[0] === 0x20 && encoder.encode(tokenizer.decode([id], { skipSpecialTokens: true }))[0] !== 0x20);
  return { table: bytes.map(hex), strip_leading_space: strip, clean_up_spaces: false };
}

/** What sftgoc_onpolicy.py's ResponseText computes, in TypeScript, for the check and the tests. */
export function decodeWithTable(t: DecodeTable, ids: readonly number[]): string {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(Buffer.from(ids.map((i) => t.table[i] ?? '').join(''), 'hex'));
  let out = t.strip_leading_space && text.startsWith(' ') ? text.slice(1) : text;
  if (t.clean_up_spaces) for (const [from, to] of CLEAN_UP) out = out.split(from).join(to);
  return out;
}

/**
 * Compares the table's rule with tokenizer.decode on `trials` seeded random id sequences (and on
 * `extra` given ones, e.g. the prompts); the first disagreement as a message, or undefined.
 */
export function checkDecodeTable(tokenizer: Tokenizer, t: DecodeTable, trials = 300, extra: ReadonlyArray<readonly number[]> = []): string | undefined {
  const rng = mulberry32(mixSeed(0x7ab1e, 0));
  const sequences: Array<readonly number[]> = [...extra];
  for (let k = 0; k < trials; k++) sequences.push(Array.from({ length: randInt(rng, 1, 24) }, () => randInt(rng, 0, tokenizer.vocabSize - 1)));
  for (const ids of sequences) {
    const want = tokenizer.decode(ids, { skipSpecialTokens: true });
    const got = decodeWithTable(t, ids);
    if (got !== want) {
      return `the torch engine cannot reproduce ${tokenizer.source}'s decoding (ids [${ids.slice(0, 12).join(', ')}${ids.length > 12 ? ', …' : ''}] give ${JSON.stringify(want)} there and ${JSON.stringify(got)} from their bytes); train on-policy with --engine tfjs`;
    }
  }
  return undefined;
}
