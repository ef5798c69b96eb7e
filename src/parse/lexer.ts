// The lexer: source text to tokens, comments and lexical diagnostics. It never throws: an unknown
// character is reported (E0101) and skipped, a malformed literal is reported and kept as a literal of
// its kind so the parser does not add a second error for the same mistake.
import { Lexer, type IToken, type LexerInstance } from './chevrotain.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { E_BAD_ESCAPE, E_BAD_NUMBER, E_UNEXPECTED_CHARACTER, E_UNTERMINATED_STRING } from './codes.js';
import { LineMap } from './positions.js';
import { BadNumber, LEXER_TOKENS, UnterminatedString, StringLiteral } from './tokens.js';

export interface LexResult {
  /** Significant tokens, newlines included (the layout pass decides which newlines matter). */
  tokens: IToken[];
  /** `#` and `//` comments in source order. */
  comments: IToken[];
  diagnostics: Diagnostic[];
  lines: LineMap;
}

// Built once per process: chevrotain analyses the patterns when a lexer is constructed.
let lexerInstance: LexerInstance | undefined;
function lexer(): LexerInstance {
  lexerInstance ??= new Lexer(LEXER_TOKENS, { positionTracking: 'onlyOffset', ensureOptimizations: false, skipValidations: true });
  return lexerInstance;
}

export function lex(source: string, file: string): LexResult {
  const lines = new LineMap(source, file);
  const result = lexer().tokenize(source);
  const diagnostics: Diagnostic[] = [];

  for (const e of result.errors) {
    const text = source.slice(e.offset, e.offset + e.length);
    diagnostics.push(unexpectedCharacter(text, source, e.offset, lines));
  }
  for (const token of result.tokens) {
    const span = lines.span(token.startOffset, token.startOffset + token.image.length);
    if (token.tokenType === UnterminatedString) {
      diagnostics.push(error(E_UNTERMINATED_STRING, 'this string is never closed', span, 'add a closing `"` before the end of the line'));
    } else if (token.tokenType === BadNumber) {
      diagnostics.push(error(E_BAD_NUMBER, `malformed number \`${token.image}\``, span, badNumberHint(token.image)));
    }
    if (token.tokenType === StringLiteral || token.tokenType === UnterminatedString) {
      for (const bad of badEscapes(token.image)) {
        const start = token.startOffset + bad;
        diagnostics.push(
          error(E_BAD_ESCAPE, `unknown escape \`${token.image.slice(bad, bad + 2)}\` in a string`, lines.span(start, start + 2), 'the escapes are `\\"`, `\\\\` and `\\n`; write `\\\\` for a backslash'),
        );
      }
    }
  }
  return { tokens: result.tokens, comments: result.groups['comments'] ?? [], diagnostics, lines };
}

function unexpectedCharacter(text: string, source: string, offset: number, lines: LineMap): Diagnostic {
  const chars = Array.from(text);
  const shown = chars.length === 1 ? `character \`${text}\`` : `characters \`${text}\``;
  let hint: string | undefined;
  const first = chars[0];
  if (first === "'") hint = 'strings are written in double quotes: "..."';
  else if (first === ':') hint = 'settings are written `key = value`';
  else if (first !== undefined && /\p{Script=Greek}/u.test(first)) hint = 'the Greek letters that are names are λ η τ α β γ ε';
  else if (first === '.' && /\d/.test(source[offset + 1] ?? '')) hint = 'write a digit before the point: 0.5';
  return error(E_UNEXPECTED_CHARACTER, `unexpected ${shown}`, lines.span(offset, offset + text.length), hint);
}

function badNumberHint(image: string): string {
  if (image.startsWith('.')) return `write a digit before the point: 0${image}`;
  if (/^\d+(?:\.\d+)?[eE][+-]?(?!\d)/.test(image)) return 'an exponent needs digits: 1e-5';
  if (/^\d+\.(?!\d)/.test(image)) return 'write digits after the point: 1.0';
  if (/^\d+(?:\.\d+)?[A-Za-z_]/.test(image)) return 'put an operator between a number and a name: 2 * x';
  return 'numbers are written 3, 0.9 or 1e-5';
}

/** Offsets (within the literal) of backslashes that do not start a known escape. */
export function badEscapes(image: string): number[] {
  const out: number[] = [];
  for (let i = 1; i < image.length; i++) {
    if (image[i] !== '\\') continue;
    const next = image[i + 1];
    if (next !== '"' && next !== '\\' && next !== 'n' && next !== undefined) out.push(i);
    i++;
  }
  return out;
}

/** The value of a string literal as written (with or without its closing quote). */
export function unescapeString(image: string): string {
  const closed = image.length >= 2 && image.endsWith('"') && !endsWithEscapedQuote(image);
  const body = image.slice(1, closed ? -1 : undefined);
  return body.replace(/\\(.)?/g, (_m, c: string | undefined) => (c === 'n' ? '\n' : c === undefined ? '' : c));
}

// `"abc\"` is an unterminated string whose last quote is escaped: it must not be taken as the closing one.
function endsWithEscapedQuote(image: string): boolean {
  let backslashes = 0;
  for (let i = image.length - 2; i >= 1 && image[i] === '\\'; i--) backslashes++;
  return backslashes % 2 === 1;
}
