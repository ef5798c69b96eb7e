// The typed objective IR: what the checker's output is lowered into and what the trainer executes.
// It is desugared: lets are inlined, implicit token means are explicit, `max(groups)` is a max over
// explicit per-group means, and the selectors are a partition plan. Params stay named references so
// `--param NAME=VALUE` can override them and metrics can log them. Every node carries its type and
// the source span it came from, so later stages can still point at the user's text.
import type { RewardSpec } from '../language/on-policy.js';
import type { Span } from '../diagnostics/span.js';
import type { IrType, JsonValue, Settings, SettingsBlock, SettingsSpans, TokenQuantity } from '../language/values.js';
import type { MathName, ScorerKind, ScorerName } from '../language/builtins.js';

export { TOKEN_QUANTITIES, type IrType, type TokenQuantity } from '../language/values.js';

export type UnaryFn = 'neg' | MathName;
export type BinaryFn = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min';
export type CompareFn = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type ScheduleKind = 'const' | 'linear' | 'cosine';
export type GroupReduceFn = 'max' | 'mean' | 'smoothmax' | 'dro';
export type { ScorerKind, ScorerName } from '../language/builtins.js';
export type RankScope = 'sample' | 'batch' | 'corpus';

/** A scorer call with its keyword arguments filled in with defaults. */
export interface ScorerCall {
  name: ScorerName;
  kind: ScorerKind;
  args: Record<string, number | string | boolean>;
}

interface Node {
  type: IrType;
  span: Span;
}

export interface ConstNode extends Node { op: 'const'; type: 'number'; value: number; /** Printed as `30%`. */ percent?: boolean }
export interface ParamNode extends Node { op: 'param'; name: string }
export interface TokenNode extends Node { op: 'token'; type: 'tokens'; name: TokenQuantity }
export interface ClockNode extends Node { op: 'step' | 'progress'; type: 'scalar' }
export interface ScheduleNode extends Node {
  op: 'schedule';
  type: 'scalar';
  kind: ScheduleKind;
  from: IrExpr;
  /** Equal to `from` for `const`. */
  to: IrExpr;
  /** Fraction of the run's steps over which the schedule moves; 1 by default. */
  over: number;
}
export interface UnaryNode extends Node { op: 'unary'; fn: UnaryFn; arg: IrExpr }
export interface BinaryNode extends Node { op: 'binary'; fn: BinaryFn; left: IrExpr; right: IrExpr }
export interface CompareNode extends Node { op: 'compare'; type: 'mask'; fn: CompareFn; left: IrExpr; right: IrExpr }
export interface LogicNode extends Node { op: 'and' | 'or'; type: 'mask'; left: IrExpr; right: IrExpr }
export interface NotNode extends Node { op: 'not'; type: 'mask'; arg: IrExpr }
export interface WhereNode extends Node { op: 'where'; cond: IrExpr; then: IrExpr; else: IrExpr }
export interface ClipNode extends Node { op: 'clip'; arg: IrExpr; lo: IrExpr; hi: IrExpr }
/** A scorer's raw scores (a scorer call without a rank). */
export interface ScoresNode extends Node { op: 'scores'; type: 'tokens'; scorer: ScorerCall }
/** A scorer call with a rank: `tfidf(top 30% per sample)`. `amount` is a number-typed const or param. */
export interface RankNode extends Node {
  op: 'rank';
  type: 'mask';
  scorer: ScorerCall;
  direction: 'top' | 'bottom';
  amount: IrExpr;
  scope: RankScope;
}
export interface RegexNode extends Node { op: 'regex'; type: 'mask'; pattern: string }
/** Membership of a partition group (first declared group whose selector holds, or `rest`). */
export interface GroupNode extends Node { op: 'group'; type: 'mask'; name: string }
/** `mean`, `sum`, `seqmean` of tokens over the batch's loss tokens, optionally restricted by a mask. */
export interface ReduceNode extends Node { op: 'mean' | 'sum' | 'seqmean'; type: 'scalar'; arg: IrExpr; mask?: IrExpr }
export interface CountNode extends Node { op: 'count'; type: 'scalar'; mask: IrExpr }
/** Mean of the top `fraction` of `arg`'s values in the batch. */
export interface CvarNode extends Node { op: 'cvar'; type: 'scalar'; arg: IrExpr; mask?: IrExpr; fraction: IrExpr }
/**
 * A reduction over the partition: `terms` holds one `mean(x[g])` per group, in partition order
 * (rest last). Empty groups are skipped at run time (max, mean, smoothmax, dro alike).
 */
export interface GroupReduceNode extends Node {
  op: 'groups';
  type: 'scalar';
  fn: GroupReduceFn;
  terms: ReduceNode[];
  /** smoothmax's temperature or dro's step size (a number or param). */
  rate?: IrExpr;
}

export type IrExpr =
  | ConstNode | ParamNode | TokenNode | ClockNode | ScheduleNode | UnaryNode | BinaryNode | CompareNode
  | LogicNode | NotNode | WhereNode | ClipNode | ScoresNode | RankNode | RegexNode | GroupNode | ReduceNode
  | CountNode | CvarNode | GroupReduceNode;

export interface IrParam {
  name: string;
  /** `number` for constants, `scalar` for schedules. */
  type: 'number' | 'scalar';
  value: IrExpr;
  span: Span;
  /** Set when the value came from `--param NAME=VALUE` (compile options) instead of the source. */
  overridden: boolean;
  /** Whether the loss or a group refers to it; every param is listed (and logged), used or not. */
  used: boolean;
}

export interface IrGroup {
  name: string;
  /** The declared selector; membership is still first-match in partition order. */
  selector: IrExpr;
  /** static: every scorer it uses depends on data alone; dynamic: some scorer needs the model. */
  kind: ScorerKind;
  span: Span;
}

export interface PartitionPlan {
  /** Declared groups in order; `rest` follows implicitly and holds the tokens no group takes. */
  groups: IrGroup[];
  /** The distinct scorer calls the selectors use, static ones first: what the precompute pass computes. */
  scorers: ScorerCall[];
}

export type { JsonValue, Settings, SettingsBlock, SettingsSpans } from '../language/values.js';

export interface Objective {
  name: string;
  /** The main file's name as given to compile. */
  file: string;
  params: IrParam[];
  partition: PartitionPlan;
  /** Always `scalar`: a tokens-typed loss was wrapped in an explicit mean. */
  loss: IrExpr;
  settings: Settings;
  settingSpans: SettingsSpans;
  /** What a run must supply beyond model and data. */
  requires: { reference: boolean; rewards: boolean };
  /** `reward = …`, checked (src/check/reward.ts); with a `sample { }` block it makes training on-policy. */
  reward?: RewardSpec;
}
