// GPT-2's reversible byte <-> printable-character table (`bytes_to_unicode` in the original
// encoder.py, reproduced by every ByteLevel tokenizer). Byte-level tokens are strings over these
// 256 characters; mapping them back gives the token's exact bytes, which is how offsets.ts finds
// where a byte-level token sits in the text, and how the bundled tokenizer is built.

function buildByteToChar(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = new Array(256);
  const isPrintable = new Set(printable);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    // Printable Latin-1 bytes stand for themselves; the others are shifted past 255 so that no
    // token contains whitespace or control characters.
    table[b] = String.fromCharCode(isPrintable.has(b) ? b : 256 + next++);
  }
  return table;
}

export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

/** The bytes a byte-level token stands for, or undefined if it holds a character outside the table. */
export function byteLevelTokenBytes(token: string): Uint8Array | undefined {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token[i]!);
    if (b === undefined) return undefined;
    out[i] = b;
  }
  return out;
}

/** Text as a byte-level string: UTF-8 bytes, each written as its table character. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const b of new TextEncoder().encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}
