// The layout pass between lexer and parser. It decides which newlines matter and splits the file
// into statements:
// - inside `( )` and `[ ]` a newline continues the statement and is dropped;
// - inside `{ }` a newline separates block entries and is kept;
// - at the top level a newline or `;` ends a statement.
// It also balances brackets, so that one forgotten `)` is one diagnostic (E0111) rather than a file
// of follow-on errors: an unclosed bracket is closed (with a zero-width token) where the statement
// evidently ends, and a closer without an opener is reported (E0112) and dropped.
// Parsing each statement on its own then keeps a syntax error in one statement from hiding the others.
import { createTokenInstance, tokenMatcher, type IToken, type TokenType } from './chevrotain.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { E_TOO_DEEP, E_UNCLOSED_BRACKET, E_UNMATCHED_BRACKET } from './codes.js';
import type { LineMap } from './positions.js';
import { CLOSER_OF, LBrace, LBracket, LParen, NewLine, RBrace, RBracket, RParen, Semicolon, STATEMENT_STARTS } from './tokens.js';

/** Deeper bracket nesting than any objective needs; it would only exhaust the parser's stack. */
export const MAX_NESTING = 64;

export interface StatementTokens {
  tokens: IToken[];
  /** Nested deeper than MAX_NESTING (already reported): not to be parsed. */
  tooDeep?: boolean;
  /** The newline or `;` that ended the statement; undefined at the end of the file. */
  terminator?: IToken;
}

export interface LayoutResult {
  statements: StatementTokens[];
  diagnostics: Diagnostic[];
}

const OPENERS = new Set<TokenType>([LParen, LBracket, LBrace]);
const CLOSERS = new Set<TokenType>([RParen, RBracket, RBrace]);

export function layout(tokens: readonly IToken[], lines: LineMap): LayoutResult {
  const diagnostics: Diagnostic[] = [];
  const balanced: IToken[] = [];
  const open: IToken[] = [];
  // Where the last real token ended: synthetic closers go there, right after the unclosed text.
  let lastEnd = 0;

  const closeAbove = (depth: number) => {
    while (open.length > depth) {
      const opener = open.pop()!;
      const closer = CLOSER_OF.get(opener.tokenType)!;
      const closeText = closer === RParen ? ')' : closer === RBracket ? ']' : '}';
      diagnostics.push(
        error(
          E_UNCLOSED_BRACKET,
          `unclosed \`${opener.image}\``,
          lines.span(opener.startOffset, opener.startOffset + opener.image.length),
          `add \`${closeText}\` to close it`,
        ),
      );
      balanced.push(createTokenInstance(closer, '', lastEnd, lastEnd - 1, NaN, NaN, NaN, NaN));
    }
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const type = token.tokenType;
    if (type === NewLine) {
      const innermost = open.at(-1)?.tokenType;
      if (innermost !== undefined && startsStatement(tokens, i + 1)) {
        // `loss = mean(ce` followed by `group …`: the bracket was evidently never closed.
        closeAbove(0);
        balanced.push(token);
      } else if (innermost === LParen || innermost === LBracket) {
        // A continuation line: not a separator.
      } else {
        balanced.push(token);
      }
      continue;
    }
    if (OPENERS.has(type)) {
      open.push(token);
    } else if (CLOSERS.has(type)) {
      const depth = findOpener(open, type);
      if (depth < 0) {
        diagnostics.push(
          error(E_UNMATCHED_BRACKET, `unmatched \`${token.image}\``, lines.span(token.startOffset, token.startOffset + token.image.length), 'remove it, or add the bracket that it closes'),
        );
        continue;
      }
      closeAbove(depth + 1);
      open.pop();
    }
    balanced.push(token);
    lastEnd = token.startOffset + token.image.length;
  }
  closeAbove(0);

  return { statements: splitStatements(balanced, lines, diagnostics), diagnostics };
}

/** The depth (index in `open`) of the innermost opener that `closer` closes, or -1. */
function findOpener(open: readonly IToken[], closer: TokenType): number {
  for (let d = open.length - 1; d >= 0; d--) if (CLOSER_OF.get(open[d]!.tokenType) === closer) return d;
  return -1;
}

/** Whether the tokens at `index` begin a statement (`group NAME`, `loss =`, `train {`, ...). */
function startsStatement(tokens: readonly IToken[], index: number): boolean {
  const token = tokens[index];
  const next = tokens[index + 1];
  if (token === undefined || next === undefined) return false;
  for (const [first, second] of STATEMENT_STARTS) if (tokenMatcher(token, first) && tokenMatcher(next, second)) return true;
  return false;
}

/** Splits balanced tokens at top-level newlines and `;`; empty statements (blank lines) are dropped. */
function splitStatements(tokens: readonly IToken[], lines: LineMap, diagnostics: Diagnostic[]): StatementTokens[] {
  const statements: StatementTokens[] = [];
  let current: StatementTokens = { tokens: [] };
  let depth = 0;
  for (const token of tokens) {
    const type = token.tokenType;
    if (depth === 0 && (type === NewLine || type === Semicolon)) {
      if (current.tokens.length > 0) statements.push({ ...current, terminator: token });
      current = { tokens: [] };
      continue;
    }
    if (OPENERS.has(type)) {
      depth++;
      if (depth > MAX_NESTING && current.tooDeep !== true) {
        current.tooDeep = true;
        diagnostics.push(
          error(E_TOO_DEEP, `brackets nested more than ${MAX_NESTING} levels deep`, lines.span(token.startOffset, token.startOffset + token.image.length), 'name the inner parts with `let`'),
        );
      }
    } else if (CLOSERS.has(type)) {
      depth--;
    }
    current.tokens.push(token);
  }
  if (current.tokens.length > 0) statements.push(current);
  return statements;
}
