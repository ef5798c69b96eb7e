// Human syntax-error messages: "expected an expression after `=`, found `)`" instead of chevrotain's
// dump of token-type names. Tokens are described by what a reader sees: their text, or "the end of
// the line" for the newline that ended the statement.
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from './chevrotain.js';
import { BlockKeyword, EntrySeparator, Name, NewLine, RBrace, RBracket, RParen, StatementEnd } from './tokens.js';

/**
 * How to describe the end of the tokens the parser was given. The layout pass hands the parser one
 * statement at a time, so "the end of the input" is really the newline, `;` or end of file that ended
 * the statement; index.ts sets this before each statement.
 */
export const statementEnd = { description: 'the end of the line' };

/** How a token that was found reads in a message. */
export function describeToken(token: IToken | undefined): string {
  if (token === undefined || token.tokenType === EOF) return statementEnd.description;
  if (token.tokenType === NewLine) return 'the end of the line';
  if (token.image === '') return describeType(token.tokenType);
  return `\`${token.image}\``;
}

/** How an expected token type reads in a message. */
export function describeType(type: TokenType): string {
  if (type === EOF) return 'the end of the statement';
  return type.LABEL ?? `\`${type.name}\``;
}

function joinAlternatives(descriptions: string[]): string {
  const unique = [...new Set(descriptions)];
  if (unique.length <= 1) return unique[0] ?? 'something else';
  return `${unique.slice(0, -1).join(', ')} or ${unique.at(-1)}`;
}

/**
 * The provider says only what was expected. index.ts completes the message with "after `x`, found `y`"
 * from the statement's own tokens, because under error recovery chevrotain's `previous` token can lie
 * ahead of the error.
 */
/** What a settings block expects where it could close; index.ts refines it right after `{`. */
export const BLOCK_CLOSE_EXPECTED = 'expected `,`, a newline or `}`';

export const parserErrorMessages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, ruleName }) {
    let wanted = describeType(expected);
    // A closing bracket is expected where a list of things may go on: say that a separator also fits.
    if (expected === RBrace && ruleName === 'blockStatement') wanted = '`,`, a newline or `}`';
    else if (expected === RParen && ruleName === 'callArguments') wanted = '`,` or `)`';
    else if (expected === RBracket && ruleName === 'list') wanted = '`,` or `]`';
    else if (expected === StatementEnd) wanted = 'the end of the statement';
    else if (expected === EntrySeparator) wanted = '`,` or a newline between entries';
    else if (expected === Name && ruleName === 'blockEntry') wanted = 'a setting name';
    else if (expected === BlockKeyword) wanted = '`model`, `reference`, `data` or `train`';
    return ruleName === 'blockStatement' && expected === RBrace ? BLOCK_CLOSE_EXPECTED : `expected ${wanted}`;
  },

  buildNotAllInputParsedMessage() {
    return 'expected the end of the statement';
  },

  buildNoViableAltMessage({ expectedPathsPerAlt, customUserDescription }) {
    const wanted = customUserDescription ?? joinAlternatives(expectedPathsPerAlt.flatMap((paths) => paths.map((path) => describeType(path[0] ?? EOF))));
    return `expected ${wanted}`;
  },

  buildEarlyExitMessage({ expectedIterationPaths, customUserDescription }) {
    const wanted = customUserDescription ?? joinAlternatives(expectedIterationPaths.map((path) => describeType(path[0] ?? EOF)));
    return `expected ${wanted}`;
  },
};

