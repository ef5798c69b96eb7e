// What a token string stands for in the original text, as bytes: the input of offsets.ts.
// Decided once per tokenizer from its tokenizer.json, because the same token string means different
// text under different schemes (GPT-2's byte-level `Ġ`, SentencePiece's `▁`, WordPiece's `##`).
import { byteLevelTokenBytes } from './byte-level.js';

const encoder = new TextEncoder();

export type SurfaceFn = (token: string) => Uint8Array | undefined;

interface Scheme {
  byteLevel: boolean;
  metaspace: string[];
  prefixes: string[];
  suffixes: string[];
}

type Json = Record<string, unknown>;

function visit(node: unknown, scheme: Scheme): void {
  if (node === null || typeof node !== 'object') return;
  const obj = node as Json;
  if (obj.type === 'ByteLevel') scheme.byteLevel = true;
  if (obj.type === 'Metaspace') scheme.metaspace.push(typeof obj.replacement === 'string' ? obj.replacement : '▁');
  // Llama-style SentencePiece tokenizers spell the Metaspace as a Replace normalizer/decoder.
  if (obj.type === 'Replace' && typeof obj.content === 'string') {
    const pattern = obj.pattern as Json | undefined;
    if (pattern && typeof pattern.String === 'string' && /^\s$/.test(obj.content) && pattern.String.length === 1) {
      scheme.metaspace.push(pattern.String);
    }
    if (pattern && pattern.String === ' ' && obj.content.length === 1 && !/\s/.test(obj.content)) {
      scheme.metaspace.push(obj.content);
    }
  }
  for (const key of ['pretokenizers', 'decoders', 'normalizers', 'processors']) {
    const list = obj[key];
    if (Array.isArray(list)) for (const child of list) visit(child, scheme);
  }
}

/**
 * Builds the surface function for a tokenizer.json. `addedTokens` (special and added tokens) stand
 * for their literal content; `unkToken` stands for unknown text (no surface).
 */
export function surfaceFunction(tokenizerJson: Json, addedTokens: ReadonlySet<string>, unkToken: string | undefined): SurfaceFn {
  const scheme: Scheme = { byteLevel: false, metaspace: [], prefixes: [], suffixes: [] };
  visit(tokenizerJson.pre_tokenizer, scheme);
  visit(tokenizerJson.decoder, scheme);
  visit(tokenizerJson.normalizer, scheme);
  const model = (tokenizerJson.model ?? {}) as Json;
  if (typeof model.continuing_subword_prefix === 'string' && model.continuing_subword_prefix) scheme.prefixes.push(model.continuing_subword_prefix);
  for (const key of ['end_of_word_suffix', 'continuing_subword_suffix']) {
    if (typeof model[key] === 'string' && model[key]) scheme.suffixes.push(model[key] as string);
  }
  const byteFallback = /^<0x([0-9A-Fa-f]{2})>$/;

  return (token: string): Uint8Array | undefined => {
    if (addedTokens.has(token)) return token === unkToken ? undefined : encoder.encode(token);
    if (token === unkToken) return undefined;
    const fallback = byteFallback.exec(token);
    if (fallback) return Uint8Array.of(parseInt(fallback[1]!, 16));
    if (scheme.byteLevel) {
      const bytes = byteLevelTokenBytes(token);
      if (bytes !== undefined) return bytes;
    }
    let text = token;
    for (const p of scheme.prefixes) if (text.startsWith(p) && text.length > p.length) text = text.slice(p.length);
    for (const s of scheme.suffixes) if (text.endsWith(s) && text.length > s.length) text = text.slice(0, -s.length);
    for (const m of scheme.metaspace) text = text.split(m).join(' ');
    return encoder.encode(text);
  };
}
