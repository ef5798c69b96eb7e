// Token types of the `.sftgo` language (LANGUAGE.md §2), in the order the lexer tries them:
// chevrotain takes the first pattern that matches, so longer operators come before their prefixes
// and keywords before identifiers (with `longer_alt` so that `grouping` stays one identifier).
import { createToken, Lexer, type TokenType } from './chevrotain.js';

// ---- Categories: abstract token types that the parser consumes instead of one concrete type. ----

/** Any word: identifiers and keywords. Settings keys and keyword-argument names accept keywords (`train { batch = 16 }`). */
export const Name = createToken({ name: 'Name', pattern: Lexer.NA, label: 'a name' });
/** The name of a keyword argument: any word but `top` and `bottom`, which begin a rank (`f(top 30%)`). */
export const ArgumentName = createToken({ name: 'ArgumentName', pattern: Lexer.NA, label: 'a name' });
/** What can be called or referenced in an expression: a name, or `loss` for the `loss()` scorer. */
export const Callee = createToken({ name: 'Callee', pattern: Lexer.NA, label: 'a name' });
/** What ends a statement at the top level. */
export const StatementEnd = createToken({ name: 'StatementEnd', pattern: Lexer.NA, label: 'a newline or `;`' });
/** What separates entries inside a settings block. */
export const EntrySeparator = createToken({ name: 'EntrySeparator', pattern: Lexer.NA, label: '`,` or a newline' });
export const AdditiveOperator = createToken({ name: 'AdditiveOperator', pattern: Lexer.NA, label: '`+` or `-`' });
export const MultiplicativeOperator = createToken({ name: 'MultiplicativeOperator', pattern: Lexer.NA, label: '`*` or `/`' });
export const ComparisonOperator = createToken({ name: 'ComparisonOperator', pattern: Lexer.NA, label: 'a comparison' });
export const AndOperator = createToken({ name: 'AndOperator', pattern: Lexer.NA, label: '`and`' });
export const OrOperator = createToken({ name: 'OrOperator', pattern: Lexer.NA, label: '`or`' });
export const NotOperator = createToken({ name: 'NotOperator', pattern: Lexer.NA, label: '`not`' });
export const BlockKeyword = createToken({ name: 'BlockKeyword', pattern: Lexer.NA, label: 'a block name' });
export const RankDirectionKeyword = createToken({ name: 'RankDirectionKeyword', pattern: Lexer.NA, label: '`top` or `bottom`' });
export const RankScopeKeyword = createToken({ name: 'RankScopeKeyword', pattern: Lexer.NA, label: '`sample`, `batch` or `corpus`' });

// ---- Trivia ----

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });
/** Kept in their own group, not skipped, so `fmt` can put them back. */
export const HashComment = createToken({ name: 'HashComment', pattern: /#[^\n\r]*/, group: 'comments' });
export const SlashComment = createToken({ name: 'SlashComment', pattern: /\/\/[^\n\r]*/, group: 'comments' });
export const NewLine = createToken({ name: 'NewLine', pattern: /\n/, line_breaks: true, categories: [StatementEnd, EntrySeparator], label: 'a newline' });

// ---- Literals ----

export const StringLiteral = createToken({ name: 'StringLiteral', pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/, label: 'a string' });
/** A string that reaches the end of its line; reported by the lexer and parsed as a string so one mistake gives one error. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*\\?/,
  categories: [StringLiteral],
  label: 'a string',
});

// The digits of a number: `3`, `0.9`, `1e-5`. Shared by the three numeric token types below.
const NUMBER_CORE = /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// What may not touch a number: a letter, digit, `_` or `.` right after it makes it malformed (`1e`, `1.2.3`, `12abc`).
const NUMBER_TAIL = /[A-Za-z0-9_.]/;
// A malformed number, taken whole so one mistake gives one diagnostic.
const BAD_NUMBER = /(?:\d|\.\d)(?:[eE][+-]|[\w.])*%?/y;

function numberEnd(text: string, offset: number): number {
  NUMBER_CORE.lastIndex = offset;
  return NUMBER_CORE.test(text) ? NUMBER_CORE.lastIndex : -1;
}

function matched(text: string, start: number, end: number): RegExpExecArray {
  return [text.slice(start, end)] as unknown as RegExpExecArray;
}

/** `30%` (value 0.3). */
export const PercentLiteral = createToken({
  name: 'PercentLiteral',
  pattern: {
    exec: (text: string, offset: number) => {
      const end = numberEnd(text, offset);
      return end >= 0 && text[end] === '%' ? matched(text, offset, end + 1) : null;
    },
  },
  line_breaks: false,
  start_chars_hint: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  label: 'a percentage',
});

export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: {
    exec: (text: string, offset: number) => {
      const end = numberEnd(text, offset);
      if (end < 0 || (end < text.length && NUMBER_TAIL.test(text[end]!))) return null;
      return matched(text, offset, end);
    },
  },
  line_breaks: false,
  start_chars_hint: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  label: 'a number',
});

/** Reported by the lexer (E0103) and parsed as a number so the rest of the statement still parses. */
export const BadNumber = createToken({
  name: 'BadNumber',
  pattern: {
    exec: (text: string, offset: number) => {
      BAD_NUMBER.lastIndex = offset;
      return BAD_NUMBER.test(text) ? matched(text, offset, BAD_NUMBER.lastIndex) : null;
    },
  },
  line_breaks: false,
  start_chars_hint: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.'],
  categories: [NumberLiteral],
  label: 'a number',
});

// ---- Words ----

export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_]*/, categories: [Name, Callee, ArgumentName], label: 'a name' });
/** The Greek letters are words of their own, so `λ·ce` is three tokens. */
export const GreekLetter = createToken({ name: 'GreekLetter', pattern: /[ληταβγε]/, categories: [Identifier, Name, Callee, ArgumentName], label: 'a name' });

function keyword(word: string, ...categories: TokenType[]): TokenType {
  const name = `${word[0]!.toUpperCase()}${word.slice(1)}`;
  const all = [Name, ...categories];
  if (!categories.includes(RankDirectionKeyword)) all.push(ArgumentName);
  return createToken({ name, pattern: new RegExp(word), longer_alt: Identifier, categories: all, label: `\`${word}\`` });
}

export const Objective = keyword('objective');
export const Import = keyword('import');
export const Param = keyword('param');
export const Let = keyword('let');
export const Group = keyword('group');
export const Loss = keyword('loss', Callee);
/**
 * `reward = exact()` begins a statement; in an expression `reward` is the token quantity (a Callee),
 * and as a name it is an Identifier so that `let reward = 1` is the checker's "reserved name".
 */
export const Reward = keyword('reward', Callee, Identifier);
export const Model = keyword('model', BlockKeyword);
export const Reference = keyword('reference', BlockKeyword);
export const Data = keyword('data', BlockKeyword);
export const Train = keyword('train', BlockKeyword);
export const Top = keyword('top', RankDirectionKeyword);
export const Bottom = keyword('bottom', RankDirectionKeyword);
export const Per = keyword('per');
/** `per sample` in a rank, and the `sample { … }` settings block. */
export const Sample = keyword('sample', RankScopeKeyword, BlockKeyword);
export const Batch = keyword('batch', RankScopeKeyword);
export const Corpus = keyword('corpus', RankScopeKeyword);
export const True = keyword('true');
export const False = keyword('false');
export const And = keyword('and', AndOperator);
export const Or = keyword('or', OrOperator);
export const Not = keyword('not', NotOperator);

/** Every keyword, in the order of LANGUAGE.md; the grammar-drift test compares it with grammar/sftgo.ebnf. */
export const KEYWORDS: readonly TokenType[] = [
  Objective, Import, Param, Let, Group, Loss, Reward, Model, Reference, Data, Train,
  Top, Bottom, Per, Sample, Batch, Corpus, True, False, And, Or, Not,
];


// ---- Operators and punctuation ----

export const Arrow = createToken({ name: 'Arrow', pattern: /->|→/, label: '`->`' });
export const LessEqual = createToken({ name: 'LessEqual', pattern: /<=/, categories: [ComparisonOperator], label: '`<=`' });
export const GreaterEqual = createToken({ name: 'GreaterEqual', pattern: />=/, categories: [ComparisonOperator], label: '`>=`' });
export const EqualEqual = createToken({ name: 'EqualEqual', pattern: /==/, categories: [ComparisonOperator], label: '`==`' });
export const NotEqual = createToken({ name: 'NotEqual', pattern: /!=/, categories: [ComparisonOperator], label: '`!=`' });
export const Less = createToken({ name: 'Less', pattern: /</, categories: [ComparisonOperator], label: '`<`' });
export const Greater = createToken({ name: 'Greater', pattern: />/, categories: [ComparisonOperator], label: '`>`' });
export const Ampersand = createToken({ name: 'Ampersand', pattern: /&/, categories: [AndOperator], label: '`&`' });
export const Pipe = createToken({ name: 'Pipe', pattern: /\|/, categories: [OrOperator], label: '`|`' });
export const Bang = createToken({ name: 'Bang', pattern: /!/, categories: [NotOperator], label: '`!`' });
export const Plus = createToken({ name: 'Plus', pattern: /\+/, categories: [AdditiveOperator], label: '`+`' });
/** `−` (U+2212) is the typographic minus. */
export const Minus = createToken({ name: 'Minus', pattern: /-|−/, categories: [AdditiveOperator], label: '`-`' });
/** `·` and `×` are multiplication, as in the paper's notation. */
export const Star = createToken({ name: 'Star', pattern: /\*|·|×/, categories: [MultiplicativeOperator], label: '`*`' });
export const Slash = createToken({ name: 'Slash', pattern: /\//, categories: [MultiplicativeOperator], label: '`/`' });
export const Caret = createToken({ name: 'Caret', pattern: /\^/, label: '`^`' });
export const Equals = createToken({ name: 'Equals', pattern: /=/, label: '`=`' });
export const Comma = createToken({ name: 'Comma', pattern: /,/, categories: [EntrySeparator], label: '`,`' });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/, categories: [StatementEnd], label: '`;`' });
export const LParen = createToken({ name: 'LParen', pattern: /\(/, label: '`(`' });
export const RParen = createToken({ name: 'RParen', pattern: /\)/, label: '`)`' });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/, label: '`[`' });
export const RBracket = createToken({ name: 'RBracket', pattern: /\]/, label: '`]`' });
export const LBrace = createToken({ name: 'LBrace', pattern: /\{/, label: '`{`' });
export const RBrace = createToken({ name: 'RBrace', pattern: /\}/, label: '`}`' });

/** The lexer's token types in matching order (categories are listed too; chevrotain needs them registered). */
export const LEXER_TOKENS: TokenType[] = [
  WhiteSpace, HashComment, SlashComment, NewLine,
  StringLiteral, UnterminatedString, PercentLiteral, NumberLiteral, BadNumber,
  ...KEYWORDS, GreekLetter, Identifier,
  Arrow, LessEqual, GreaterEqual, EqualEqual, NotEqual, Less, Greater, Ampersand, Pipe, Bang,
  Plus, Minus, Star, Slash, Caret, Equals, Comma, Semicolon,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  Name, ArgumentName, Callee, StatementEnd, EntrySeparator, AdditiveOperator, MultiplicativeOperator, ComparisonOperator,
  AndOperator, OrOperator, NotOperator, BlockKeyword, RankDirectionKeyword, RankScopeKeyword,
];

/** Brackets that open, with the type that closes each. */
export const CLOSER_OF = new Map<TokenType, TokenType>([
  [LParen, RParen],
  [LBracket, RBracket],
  [LBrace, RBrace],
]);

/**
 * How statements begin: a keyword and the token that must follow it (`loss` alone may be the `loss()`
 * scorer, `loss =` may not). The layout pass takes a line that begins this way to begin a new statement.
 */
export const STATEMENT_STARTS: ReadonlyMap<TokenType, TokenType> = new Map([
  [Objective, Identifier],
  [Import, StringLiteral],
  [Param, Identifier],
  [Let, Identifier],
  [Group, Identifier],
  [Loss, Equals],
  [Reward, Equals],
  [BlockKeyword, LBrace],
]);
