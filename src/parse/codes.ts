// Diagnostic codes of the lexer and parser (E01xx). Stable: tests and docs refer to them.
import type { CodeInfo } from '../diagnostics/codes.js';

export const E_UNEXPECTED_CHARACTER = 'E0101';
export const E_UNTERMINATED_STRING = 'E0102';
export const E_BAD_NUMBER = 'E0103';
export const E_BAD_ESCAPE = 'E0104';
export const E_SYNTAX = 'E0110';
export const E_UNCLOSED_BRACKET = 'E0111';
export const E_UNMATCHED_BRACKET = 'E0112';
export const E_TOO_DEEP = 'E0113';
export const E_TOO_LONG = 'E0114';
/** Tokens of one statement the parser accepts: parsing 60,000 takes about 2 s (a 1 MiB sum: 10 s, 800 MB). */
export const MAX_STATEMENT_TOKENS = 60_000;
export const E_PARSER_BUG = 'E0199';

export const PARSE_CODES: Record<string, CodeInfo> = {
  [E_UNEXPECTED_CHARACTER]: {
    title: 'unexpected character',
    explanation:
      'The character cannot start any token of the language: names are ASCII letters, digits and `_` or one of the Greek letters λ η τ α β γ ε; strings use double quotes. The character is skipped and lexing goes on.',
  },
  [E_UNTERMINATED_STRING]: {
    title: 'unterminated string',
    explanation: 'A string literal reaches the end of its line without a closing `"`. Strings cannot span lines; write `\\n` for a line break.',
  },
  [E_BAD_NUMBER]: {
    title: 'malformed number',
    explanation:
      'Numbers are written `3`, `0.9` or `1e-5`, and percentages `30%`. A number followed directly by a letter, digit, `_` or `.` (`1e`, `1.2.3`, `2x`) or without a leading digit (`.5`) is malformed.',
  },
  [E_BAD_ESCAPE]: {
    title: 'unknown escape in a string',
    explanation: 'Inside a string, a backslash may only start `\\"`, `\\\\` or `\\n`. Write `\\\\` for a literal backslash.',
  },
  [E_SYNTAX]: {
    title: 'syntax error',
    explanation:
      'The tokens do not form a statement of the language. The message says what was expected at that point and what was found instead; the parser recovers and reports the other errors of the file too.',
  },
  [E_UNCLOSED_BRACKET]: {
    title: 'unclosed bracket',
    explanation:
      'A `(`, `[` or `{` is never closed. The parser closes it where the statement evidently ends (at a line that starts a new statement, at a mismatched closer, or at the end of the file) so that the rest of the file is still checked.',
  },
  [E_UNMATCHED_BRACKET]: {
    title: 'unmatched closing bracket',
    explanation: 'A `)`, `]` or `}` has no opening bracket to close. It is ignored.',
  },
  [E_TOO_DEEP]: {
    title: 'nested too deeply',
    explanation:
      'Brackets are nested more than 64 levels deep, or a statement is otherwise too deep for the recursive-descent parser (a very long chain of `-` or `not`). The statement is skipped; split it with `let`.',
  },
  [E_TOO_LONG]: {
    title: 'statement too long',
    explanation: 'A statement may hold at most 60,000 tokens (names, numbers, operators, brackets). Longer ones are skipped without being parsed; write a reduction (`mean`, `sum`, `max(groups)`) instead of thousands of terms.',
  },
  [E_PARSER_BUG]: {
    title: 'internal parser error',
    explanation:
      'The parser failed on this statement because of a bug in sftgoc, not in the file. The statement is skipped so the rest of the file is still checked; please report it with the statement that triggers it.',
  },
};
