// The language's vocabulary in one table, at the bottom of the compiler: every built-in function
// (name, signature, kind, type rule), every scorer (kind, parameters with defaults), the elementwise
// math functions with their value and derivative (the reference evaluator and constant folding
// read those), and the Greek aliases. The parser, the checker, the IR lowering and printers, the
// evaluators and the engines all read it; nothing here imports another stage.
//
// Adding a math function such as `tanh` (docs/architecture.md): one entry in MATH below (value,
// derivative, tensor form, torch spelling) and its derivative points in
// test/language/builtins.test.ts; a tensor primitive not yet in TensorOps is one more line in
// src/lower/tensor-graph.ts.

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
 * The tensor primitives a math function's tensor form may use; src/lower/tensor-graph.ts supplies
 * them from TensorFlow.js (a new primitive is one line there). `stopGradient` passes the value and
 * blocks the gradient.
 */
export interface TensorOps<T> {
  exp(x: T): T;
  log(x: T): T;
  sqrt(x: T): T;
  mul(a: T, b: T): T;
  sign(x: T): T;
  stopGradient(x: T): T;
}

export interface MathFunction {
  /** The value, for constant folding and the reference evaluator. */
  value(x: number): number;
  /** Its derivative, for the reference evaluator's dual numbers. */
  derivative(x: number): number;
  /** The tfjs engine's tensor form (value and gradient through the ops). */
  tensor<T>(x: T, ops: TensorOps<T>): T;
  /** The torch engine's expression on a tensor, and on a Python float (host scalars). */
  torch(x: string): string;
  python(x: string): string;
}

/**
 * Elementwise math of one argument: a number, scalar or tokens in, the same type out (the type rule
 * `math`), defined once for every consumer: constant folding and the reference evaluator (value,
 * derivative), the tfjs engine (tensor), the torch engine (torch, python). `sg` passes its value and
 * blocks the gradient. `abs` has derivative sign(x), 0 at 0, on every path.
 */
export const MATH = {
  exp: { value: Math.exp, derivative: Math.exp, tensor: (x, o) => o.exp(x), torch: (x) => `torch.exp(${x})`, python: (x) => `rt.fexp(${x})` },
  log: { value: Math.log, derivative: (x) => 1 / x, tensor: (x, o) => o.log(x), torch: (x) => `torch.log(${x})`, python: (x) => `rt.flog(${x})` },
  sqrt: { value: Math.sqrt, derivative: (x) => 1 / (2 * Math.sqrt(x)), tensor: (x, o) => o.sqrt(x), torch: (x) => `torch.sqrt(${x})`, python: (x) => `rt.fsqrt(${x})` },
  // |x| as x·sign(sg(x)): gradient sign(x), 0 at 0 (tf.abs's gradient is −1 there).
  abs: { value: Math.abs, derivative: Math.sign, tensor: (x, o) => o.mul(x, o.sign(o.stopGradient(x))), torch: (x) => `torch.abs(${x})`, python: (x) => `abs(${x})` },
  sg: { value: (x) => x, derivative: () => 0, tensor: (x, o) => o.stopGradient(x), torch: (x) => `${x}.detach()`, python: (x) => x },
} satisfies Record<string, MathFunction>;

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

/**
 * The verifiers of `reward = …` (LANGUAGE.md §8): what on-policy training scores each sampled
 * response with. `params` in positional order with their defaults (undefined: required); the
 * checker (src/check/reward.ts) binds a call against this table and src/onpolicy/ runs it.
 * `command`'s `timeout` is in seconds: the most one step's batch may take in the program.
 */
export type VerifierName = 'exact' | 'contains' | 'facts' | 'regex' | 'command';

export interface VerifierInfo {
  params: [string, string | number | undefined][];
  /** One line for docs and hints. */
  summary: string;
}

/** Seconds a reward program may take over one step's batch when `timeout` is not given. */
export const DEFAULT_COMMAND_TIMEOUT_S = 60;
/** The longest `timeout` accepted, so a typo cannot park a run for days. */
export const MAX_COMMAND_TIMEOUT_S = 3600;

export const VERIFIERS: Record<VerifierName, VerifierInfo> = {
  exact: { params: [], summary: '1 when the normalised response equals the record\'s `answer`, else 0' },
  contains: { params: [], summary: '1 when the normalised response contains the record\'s normalised `answer`, else 0' },
  facts: { params: [], summary: 'the share of the record\'s `facts` that the response states' },
  regex: { params: [['pattern', undefined]], summary: '1 when the RE2 pattern matches the response, else 0' },
  command: { params: [['path', undefined], ['timeout', DEFAULT_COMMAND_TIMEOUT_S]], summary: 'a program\'s number for each response (JSONL on stdin, one number a line on stdout)' },
};

export function isVerifier(name: string): name is VerifierName {
  return Object.hasOwn(VERIFIERS, name);
}
