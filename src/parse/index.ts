// The parse stage: source text to AST plus every lexical and syntax diagnostic. Never throws.
//   lex (lexer.ts) → layout: newlines, brackets, statements (layout.ts) → parse each statement
//   (parser.ts) → build the AST (to-ast.ts)
import { tokenMatcher, type IRecognitionException, type IToken } from './chevrotain.js';
import type { Comment, SourceFile, Statement } from './ast.js';
import { error, sortDiagnostics, type Diagnostic } from '../diagnostics/diagnostic.js';
import { E_PARSER_BUG, E_SYNTAX, E_TOO_DEEP, E_TOO_LONG, E_UNEXPECTED_CHARACTER, MAX_STATEMENT_TOKENS } from './codes.js';
import { layout, type StatementTokens } from './layout.js';
import { lex } from './lexer.js';
import { BLOCK_CLOSE_EXPECTED, describeToken, statementEnd } from './messages.js';
import { sftgoParser } from './parser.js';
import type { LineMap } from './positions.js';
import { AstBuilder } from './to-ast.js';
import { Comma, ComparisonOperator, EntrySeparator, HashComment, LBrace, LBracket, LParen, Identifier, Name, Semicolon, STATEMENT_STARTS } from './tokens.js';

export interface ParseResult {
  ast: SourceFile;
  diagnostics: Diagnostic[];
}

export function parse(source: string, file: string): ParseResult {
  const lexed = lex(source, file);
  const laidOut = layout(lexed.tokens, lexed.lines);
  const builder = new AstBuilder(lexed.lines);
  const parser = sftgoParser();
  const statements: Statement[] = [];
  const syntaxErrors: Diagnostic[] = [];

  for (const chunk of laidOut.statements) {
    if (chunk.tooDeep === true) continue;
    if (chunk.tokens.length > MAX_STATEMENT_TOKENS) {
      const first = chunk.tokens[0]!;
      syntaxErrors.push(error(E_TOO_LONG, `this statement has ${chunk.tokens.length} tokens (the limit is ${MAX_STATEMENT_TOKENS})`, lexed.lines.span(first.startOffset, first.startOffset + first.image.length), 'write a reduction such as mean(…) or max(groups) instead of thousands of terms'));
      continue;
    }
    statementEnd.description = chunk.terminator === undefined ? 'the end of the file' : chunk.terminator.tokenType === Semicolon ? '`;`' : 'the end of the line';
    try {
      parser.input = chunk.tokens;
      const cst = parser.statement();
      const errors = parser.errors.map((e) => syntaxError(e, chunk, lexed.lines));
      syntaxErrors.push(...withoutCascades(errors));
      const statement = cst === undefined ? undefined : builder.statement(cst);
      if (statement) statements.push(statement);
    } catch (e) {
      // parse() never throws. Recursive descent has a stack, and a chain of thousands of prefix
      // operators can still exhaust it; anything else is a bug, reported against the statement.
      const first = chunk.tokens[0]!;
      const last = chunk.tokens.at(-1)!;
      const span = lexed.lines.span(first.startOffset, last.startOffset + last.image.length);
      syntaxErrors.push(
        e instanceof RangeError
          ? error(E_TOO_DEEP, 'this statement is nested too deeply to parse', span, 'name the inner parts with `let`')
          : error(E_PARSER_BUG, `internal parser error: ${e instanceof Error ? e.message : String(e)}`, span, 'this is a bug in sftgoc; please report it'),
      );
    }
  }

  const comments: Comment[] = lexed.comments.map((token) => ({
    kind: 'Comment',
    span: lexed.lines.span(token.startOffset, token.startOffset + token.image.length),
    text: token.image.slice(token.tokenType === HashComment ? 1 : 2),
    marker: token.tokenType === HashComment ? '#' : '//',
  }));

  const ast: SourceFile = { kind: 'SourceFile', span: lexed.lines.span(0, source.length), statements, comments };
  // Once a stray character is skipped the line rarely parses; that syntax error would repeat the lexer's.
  const linesWithStrayCharacters = new Set(lexed.diagnostics.filter((d) => d.code === E_UNEXPECTED_CHARACTER).map((d) => d.span.start.line));
  const syntaxErrorsKept = syntaxErrors.filter((d) => !linesWithStrayCharacters.has(d.span.start.line));
  const diagnostics = sortDiagnostics([...lexed.diagnostics, ...laidOut.diagnostics, ...syntaxErrorsKept, ...builder.diagnostics]);
  return { ast, diagnostics };
}

/**
 * Where a list may close, the parser expects a separator or the closer; right after an opener or a
 * separator, though, an item is what fits, and the message should say so.
 */
const AFTER_OPENER: Record<string, (previous: IToken) => string | undefined> = {
  [BLOCK_CLOSE_EXPECTED]: (p) => (tokenMatcher(p, EntrySeparator) || p.tokenType === LBrace ? 'expected a setting (`key = value`) or `}`' : undefined),
  'expected `,` or `)`': (p) => (p.tokenType === Comma || p.tokenType === LParen ? 'expected an argument or `)`' : undefined),
  'expected `,` or `]`': (p) => (p.tokenType === Comma || p.tokenType === LBracket ? 'expected an expression or `]`' : undefined),
};

/** A chevrotain recognition error as a diagnostic, with its span and a hint where the fix is clear. */
function syntaxError(e: IRecognitionException, chunk: StatementTokens, lines: LineMap): Diagnostic {
  const token = e.token;
  const real = token !== undefined && !Number.isNaN(token.startOffset) && token.isInsertedInRecovery !== true;
  const index = real ? chunk.tokens.indexOf(token) : -1;
  let span;
  let previous: IToken | undefined;
  if (real && index >= 0) {
    span = lines.span(token.startOffset, token.startOffset + token.image.length);
    previous = chunk.tokens[index - 1];
  } else {
    // The statement ended too early: point just after its last token.
    previous = chunk.tokens.at(-1)!;
    const end = previous.startOffset + previous.image.length;
    span = lines.span(end, end);
  }
  const expected = previous === undefined ? e.message : (AFTER_OPENER[e.message]?.(previous) ?? e.message);
  const after = previous === undefined || previous.image === '' ? '' : ` after \`${previous.image}\``;
  const message = `${expected}${after}, found ${describeToken(real ? token : undefined)}`;
  return error(E_SYNTAX, message, span, real ? hintFor(token, message) : undefined);
}

function hintFor(token: IToken, message: string): string | undefined {
  if (message.startsWith('expected a name') && tokenMatcher(token, Name) && !tokenMatcher(token, Identifier)) {
    return `\`${token.image}\` is a keyword; choose another name`;
  }
  if (tokenMatcher(token, ComparisonOperator)) return 'comparisons do not chain: write `a < b and b < c`';
  if (STATEMENT_STARTS.has(token.tokenType)) return 'end the previous statement with a newline or `;`';
  return undefined;
}

/** Recovery can report follow-on errors for the same mistake; keep the first error on each line. */
function withoutCascades(errors: Diagnostic[]): Diagnostic[] {
  const kept: Diagnostic[] = [];
  for (const d of [...errors].sort((a, b) => a.span.start.offset - b.span.start.offset)) {
    if (kept.some((k) => k.span.start.line === d.span.start.line)) continue;
    kept.push(d);
  }
  return kept;
}
