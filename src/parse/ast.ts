// The abstract syntax tree of a `.sftgo` file: what the parser produces and the checker consumes.
// It records what was written, not what it means: a selector is an ordinary expression here, and the
// checker decides whether `tfidf(top 30%)` is a mask or `x > 0.2` a comparison of tokens.
import type { Span } from '../diagnostics/span.js';

export interface SourceFile {
  kind: 'SourceFile';
  span: Span;
  statements: Statement[];
  /** Comments in source order, kept for `fmt`. */
  comments: Comment[];
}

export interface Comment {
  kind: 'Comment';
  span: Span;
  /** The text after `#` or `//`, without the marker. */
  text: string;
  marker: '#' | '//';
}

export type Statement =
  | ObjectiveStatement
  | ImportStatement
  | ParamStatement
  | LetStatement
  | GroupStatement
  | LossStatement
  | RewardStatement
  | BlockStatement;

export interface ObjectiveStatement {
  kind: 'Objective';
  span: Span;
  name: Identifier;
}

export interface ImportStatement {
  kind: 'Import';
  span: Span;
  /** `std/NAME` or a relative path such as `./base.sftgo`. */
  path: StringLiteral;
}

export interface ParamStatement {
  kind: 'Param';
  span: Span;
  name: Identifier;
  value: Expression;
}

export interface LetStatement {
  kind: 'Let';
  span: Span;
  name: Identifier;
  value: Expression;
}

export interface GroupStatement {
  kind: 'Group';
  span: Span;
  name: Identifier;
  selector: Expression;
}

export interface LossStatement {
  kind: 'Loss';
  span: Span;
  value: Expression;
}

/** `reward = VERIFIER(…)` (LANGUAGE.md §8): the value is an expression; the checker requires a verifier call. */
export interface RewardStatement {
  kind: 'Reward';
  span: Span;
  value: Expression;
}

export type BlockName = 'model' | 'reference' | 'sample' | 'data' | 'train';

export interface BlockStatement {
  kind: 'Block';
  span: Span;
  block: BlockName;
  /** The span of the block keyword, for diagnostics about the block as a whole. */
  keywordSpan: Span;
  entries: BlockEntry[];
}

export interface BlockEntry {
  kind: 'Entry';
  span: Span;
  key: Identifier;
  value: Expression;
}

export type Expression =
  | NumberLiteral
  | PercentLiteral
  | StringLiteral
  | BooleanLiteral
  | ListLiteral
  | Identifier
  | UnaryExpression
  | BinaryExpression
  | CallExpression
  | IndexExpression
  | ArrowExpression
  | ParenExpression;

export interface NumberLiteral {
  kind: 'Number';
  span: Span;
  value: number;
  /** As written (`1e-5`), so `fmt` keeps the user's spelling. */
  text: string;
}

export interface PercentLiteral {
  kind: 'Percent';
  span: Span;
  /** The fraction: `30%` is 0.3. The checker reports values outside [0, 1]. */
  value: number;
  text: string;
}

export interface StringLiteral {
  kind: 'String';
  span: Span;
  /** Unescaped value. */
  value: string;
}

export interface BooleanLiteral {
  kind: 'Boolean';
  span: Span;
  value: boolean;
}

export interface ListLiteral {
  kind: 'List';
  span: Span;
  items: Expression[];
}

export interface Identifier {
  kind: 'Identifier';
  span: Span;
  /** Canonical name: the Greek aliases are folded to their letter (`lambda` → `λ`). */
  name: string;
  /** As written, for `fmt`. */
  text: string;
}

export type UnaryOperator = '-' | 'not';

export interface UnaryExpression {
  kind: 'Unary';
  span: Span;
  op: UnaryOperator;
  operand: Expression;
  /** The operator token's span; type errors point here. */
  opSpan: Span;
  /** The operator as written (`-`, `−`, `not`), for `fmt`. */
  opText?: string;
}

export type BinaryOperator =
  | '+' | '-' | '*' | '/' | '^'
  | '<' | '<=' | '>' | '>=' | '==' | '!='
  | 'and' | 'or';

export interface BinaryExpression {
  kind: 'Binary';
  span: Span;
  op: BinaryOperator;
  left: Expression;
  right: Expression;
  /** The operator token's span; type errors point here. */
  opSpan: Span;
  /** The operator as written (`·`, `*` or `×`; `−` or `-`; `&` or `and`), for `fmt`. */
  opText?: string;
}

export interface CallExpression {
  kind: 'Call';
  span: Span;
  callee: Identifier;
  args: Argument[];
  /** `top 30% per batch` written as the last part of a scorer call. */
  rank?: Rank;
}

export interface Argument {
  kind: 'Argument';
  span: Span;
  /** Present for keyword arguments such as `temperature = 0.5`. */
  name?: Identifier;
  value: Expression;
}

export type RankDirection = 'top' | 'bottom';
export type RankScope = 'sample' | 'batch' | 'corpus';

export interface Rank {
  kind: 'Rank';
  span: Span;
  direction: RankDirection;
  /** A percent literal or a name bound to one (`top η`). */
  amount: Expression;
  /** Absent when not written; the checker applies the default `sample`. */
  per?: RankScope;
  perSpan?: Span;
}

/** `x[g]`: restricts token values to a group. */
export interface IndexExpression {
  kind: 'Index';
  span: Span;
  target: Expression;
  index: Expression;
}

/** `a -> b` inside schedules: `linear(0.9 -> 0.05)`. */
export interface ArrowExpression {
  kind: 'Arrow';
  span: Span;
  from: Expression;
  to: Expression;
}

/** Parentheses are kept so that `fmt` can reproduce them and spans cover them. */
export interface ParenExpression {
  kind: 'Paren';
  span: Span;
  inner: Expression;
}
