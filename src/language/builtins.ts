// The language's vocabulary in one table, at the bottom of the compiler: every built-in function
// (name, signature, kind, type rule), every scorer (kind, parameters with defaults), the elementwise
// math functions with their value and derivative (the reference evaluator and constant folding
// read those), and the Greek aliases. The parser, the checker, the IR lowering and printers, the
// evaluators and the engines all read it; nothing here imports another stage.
//
// Adding a math function such as `tanh` (docs/architecture.md): one entry in MATH below (value and
// derivative), its tensor lowering in src/lower/tensor-graph.ts (TypeScript's exhaustiveness check
// points there), and a case in test/language/builtins.test.ts.

/** LANGUAGE.md §2: each ASCII alias names its Greek letter (`lambda` is `λ`). */
export const GREEK_ALIASES: Readonly<Record<string, string>> = {
  lambda: 'λ', eta: 'η', tau: 'τ', alpha: 'α', beta: 'β', gamma: 'γ', epsilon: 'ε',
};

/** The canonical name of an identifier: Greek aliases folded to their letter. */
export function canonicalName(name: string): string {
  return GREEK_ALIASES[name] ?? name;
}

/** The Greek letters themselves (names of their own in the lexer). */
export const GREEK_LETTERS: ReadonlySet<string> = new Set(Object.values(GREEK_ALIASES));

/**
 * Elementwise math of one argument: a number, scalar or tokens in, the same type out (the type rule
 * `math`). `value` and `derivative` define it for constant folding and the reference evaluator;
 * the tensor path lowers it in src/lower/tensor-graph.ts. `sg` passes its value and blocks the
 * gradient. `abs` has derivative sign(x), 0 at 0.
 */
export const MATH = {
  exp: { value: Math.exp, derivative: Math.exp },
  log: { value: Math.log, derivative: (x: number) => 1 / x },
  sqrt: { value: Math.sqrt, derivative: (x: number) => 1 / (2 * Math.sqrt(x)) },
  abs: { value: Math.abs, derivative: Math.sign },
  sg: { value: (x: number) => x, derivative: () => 0 },
} as const satisfies Record<string, { value: (x: number) => number; derivative: (x: number) => number }>;

export type MathName = keyof typeof MATH;

/** How the checker types a call (src/check/typecheck.ts implements each rule once). */
export type TypeRule =
  /** mean/max over tokens, or over `groups` (with `of`). */
  | 'reduce-or-groups'
  /** tokens (possibly restricted) → scalar. */
  | 'reduce'
  /** mask → scalar. */
  | 'count'
  /** groups and a constant rate → scalar. */
  | 'group-rate'
  /** tokens and a fraction → scalar. */
  | 'cvar'
  /** numbers, scalars, tokens → the broadest of them. */
  | 'elementwise'
  /** x → x's type (MATH). */
  | 'math'
  /** mask, a, b → tokens. */
  | 'where'
  /** a constant number → scalar. */
  | 'const'
  /** `a -> b` (and `over = P%`) → scalar. */
  | 'schedule'
  /** a string literal → mask. */
  | 'regex';

export interface Signature {
  /** Parameters in positional order. */
  params: string[];
  /** How many leading params must be given. */
  required: number;
  /** Params that can only be given by keyword (`of = x`). */
  keywordOnly?: string[];
  /** `max(a, b, …)`: any number of positional values (at least `required`). */
  variadic?: boolean;
}

export interface BuiltinFunction extends Signature {
  rule: TypeRule;
  /** The name the IR uses when it differs (`stopgrad` is `sg`). */
  alias?: string;
}

export const FUNCTIONS: Record<string, BuiltinFunction> = {
  mean: { params: ['x'], required: 1, keywordOnly: ['of'], rule: 'reduce-or-groups' },
  max: { params: [], required: 1, variadic: true, keywordOnly: ['of'], rule: 'reduce-or-groups' },
  sum: { params: ['x'], required: 1, rule: 'reduce' },
  seqmean: { params: ['x'], required: 1, rule: 'reduce' },
  count: { params: ['g'], required: 1, rule: 'count' },
  min: { params: [], required: 2, variadic: true, rule: 'elementwise' },
  smoothmax: { params: ['groups', 'temperature'], required: 2, keywordOnly: ['of'], rule: 'group-rate' },
  dro: { params: ['groups', 'step'], required: 2, keywordOnly: ['of'], rule: 'group-rate' },
  cvar: { params: ['x', 'fraction'], required: 2, rule: 'cvar' },
  ...Object.fromEntries(Object.keys(MATH).map((name) => [name, { params: ['x'], required: 1, rule: 'math' as const }])),
  stopgrad: { params: ['x'], required: 1, rule: 'math', alias: 'sg' },
  clip: { params: ['x', 'lo', 'hi'], required: 3, rule: 'elementwise' },
  where: { params: ['cond', 'then', 'else'], required: 3, rule: 'where' },
  const: { params: ['value'], required: 1, rule: 'const' },
  linear: { params: ['range', 'over'], required: 1, rule: 'schedule' },
  cosine: { params: ['range', 'over'], required: 1, rule: 'schedule' },
  regex: { params: ['pattern'], required: 1, rule: 'regex' },
};

/** The MATH entry a `math` call names (`stopgrad` → `sg`). */
export function mathOf(fn: string): MathName {
  return (FUNCTIONS[fn]?.alias ?? fn) as MathName;
}

/**
 * llmlingua2()'s model when none is named: the small encoder bundled in assets/llmlingua2/ (made by
 * scripts/llmlingua2/make_encoder.py from the bundled data). `std/` names the package's own files,
 * as in imports; groupers/prepare.ts resolves it.
 */
export const BUNDLED_LLMLINGUA2 = 'std/llmlingua2';

/** static: computed once before training from the data; dynamic: recomputed every step from the model. */
export type ScorerKind = 'static' | 'dynamic';

export interface ScorerInfo {
  kind: ScorerKind;
  /** Parameters with their default values; the type of the default is the parameter's type. */
  params: [string, number | string | boolean | undefined][];
  /** Allowed string values, where the parameter is an enumeration. */
  choices?: Record<string, string[]>;
}

export type ScorerName = 'tfidf' | 'frequency' | 'llmlingua2' | 'loss' | 'excess_loss' | 'entropy' | 'random' | 'column';

export const SCORERS: Record<ScorerName, ScorerInfo> = {
  tfidf: { kind: 'static', params: [['smooth', true], ['sublinear', false]] },
  frequency: { kind: 'static', params: [] },
  llmlingua2: { kind: 'static', params: [['model', BUNDLED_LLMLINGUA2], ['aggregate', 'mean']], choices: { aggregate: ['mean', 'first'] } },
  loss: { kind: 'dynamic', params: [] },
  excess_loss: { kind: 'dynamic', params: [] },
  entropy: { kind: 'dynamic', params: [] },
  random: { kind: 'static', params: [['seed', 0]] },
  column: { kind: 'static', params: [['field', undefined]] },
};

export function isScorer(name: string): name is ScorerName {
  return Object.hasOwn(SCORERS, name);
}

/** Every name that can be called, for did-you-mean. */
export const CALLABLE_NAMES: readonly string[] = [...Object.keys(FUNCTIONS), ...Object.keys(SCORERS)];
