// The functions, schedules and scorers of LANGUAGE.md §6–7: their parameters (for arity and
// keyword checking) and the scorer table. How each one types its arguments is in typecheck.ts.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { error } from '../diagnostics/diagnostic.js';
import { nearest } from '../diagnostics/suggest.js';
import type { Span } from '../diagnostics/span.js';
import type { Argument, CallExpression } from '../parse/ast.js';
import type { ScorerKind, ScorerName } from '../ir/nodes.js';

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

export const FUNCTIONS: Record<string, Signature> = {
  mean: { params: ['x'], required: 1, keywordOnly: ['of'] },
  sum: { params: ['x'], required: 1 },
  seqmean: { params: ['x'], required: 1 },
  count: { params: ['g'], required: 1 },
  max: { params: [], required: 1, variadic: true, keywordOnly: ['of'] },
  min: { params: [], required: 2, variadic: true },
  smoothmax: { params: ['groups', 'temperature'], required: 2, keywordOnly: ['of'] },
  dro: { params: ['groups', 'step'], required: 2, keywordOnly: ['of'] },
  cvar: { params: ['x', 'fraction'], required: 2 },
  exp: { params: ['x'], required: 1 },
  log: { params: ['x'], required: 1 },
  sqrt: { params: ['x'], required: 1 },
  abs: { params: ['x'], required: 1 },
  sg: { params: ['x'], required: 1 },
  stopgrad: { params: ['x'], required: 1 },
  clip: { params: ['x', 'lo', 'hi'], required: 3 },
  where: { params: ['cond', 'then', 'else'], required: 3 },
  const: { params: ['value'], required: 1 },
  linear: { params: ['range', 'over'], required: 1 },
  cosine: { params: ['range', 'over'], required: 1 },
  regex: { params: ['pattern'], required: 1 },
};

/**
 * llmlingua2()'s model when none is named: the small encoder bundled in assets/llmlingua2/ (made by
 * scripts/llmlingua2/make_encoder.py from the bundled data). `std/` names the package's own files,
 * as in imports; groupers/prepare.ts resolves it.
 */
export const BUNDLED_LLMLINGUA2 = 'std/llmlingua2';

export interface ScorerInfo {
  kind: ScorerKind;
  /** Parameters with their default values; the type of the default is the parameter's type. */
  params: [string, number | string | boolean | undefined][];
  /** Allowed string values, where the parameter is an enumeration. */
  choices?: Record<string, string[]>;
}

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

export const CALLABLE_NAMES: readonly string[] = [...Object.keys(FUNCTIONS), ...Object.keys(SCORERS)];

/**
 * Matches a call's arguments to parameter names. Returns positional values in `positional` (for
 * variadic functions) and keyword or positional matches in `named`; reports arity and keyword
 * errors. `undefined` when the call cannot be checked further.
 */
export function bindArguments(
  call: CallExpression,
  params: string[],
  required: number,
  options: { keywordOnly?: string[]; variadic?: boolean },
  diagnostics: Diagnostic[],
): { named: Map<string, Argument>; positional: Argument[] } | undefined {
  const fn = call.callee.name;
  const named = new Map<string, Argument>();
  const positional: Argument[] = [];
  const keywordOnly = options.keywordOnly ?? [];
  const allNames = [...params, ...keywordOnly];
  let ok = true;
  let sawKeyword = false;
  for (const arg of call.args) {
    if (arg.name !== undefined) {
      sawKeyword = true;
      const key = arg.name.name;
      if (!allNames.includes(key)) {
        const suggestion = nearest(key, allNames);
        const known = allNames.length === 0 ? `${fn}() takes no keyword arguments` : `${fn}() takes ${allNames.map((n) => `\`${n}\``).join(', ')}`;
        diagnostics.push(error('E0304', `unknown keyword argument \`${key}\` of ${fn}()`, arg.name.span, suggestion ? `did you mean \`${suggestion}\`?` : known));
        ok = false;
      } else if (named.has(key)) {
        diagnostics.push(error('E0304', `argument \`${key}\` of ${fn}() is given twice`, arg.name.span));
        ok = false;
      } else {
        named.set(key, arg);
      }
      continue;
    }
    if (sawKeyword) {
      diagnostics.push(error('E0303', `positional argument after a keyword argument in ${fn}()`, arg.span, 'put positional arguments first'));
      ok = false;
      continue;
    }
    positional.push(arg);
  }
  if (options.variadic) {
    if (positional.length < required) {
      diagnostics.push(error('E0303', `${fn}() needs at least ${required} argument${required === 1 ? '' : 's'}, found ${positional.length}`, call.span));
      return undefined;
    }
    return ok ? { named, positional } : undefined;
  }
  if (positional.length > params.length) {
    diagnostics.push(
      error('E0303', `${fn}() takes at most ${params.length} positional argument${params.length === 1 ? '' : 's'}, found ${positional.length}`, positional[params.length]!.span),
    );
    return undefined;
  }
  positional.forEach((arg, i) => {
    const key = params[i]!;
    if (named.has(key)) {
      diagnostics.push(error('E0304', `argument \`${key}\` of ${fn}() is given twice`, named.get(key)!.name!.span));
      ok = false;
    }
    named.set(key, arg);
  });
  const missing = params.slice(0, required).filter((p) => !named.has(p));
  // A misspelt keyword usually is the missing argument: its own error says so.
  if (missing.length > 0 && !ok) return undefined;
  if (missing.length > 0) {
    diagnostics.push(error('E0303', `${fn}() is missing its argument ${missing.map((m) => `\`${m}\``).join(', ')}`, call.span, signatureHint(fn, params, keywordOnly)));
    return undefined;
  }
  return ok ? { named, positional } : undefined;
}

function signatureHint(fn: string, params: string[], keywordOnly: string[]): string {
  return `write ${fn}(${[...params, ...keywordOnly.map((k) => `${k} = …`)].join(', ')})`;
}

export function spanOfArg(named: Map<string, Argument>, key: string, fallback: Span): Span {
  return named.get(key)?.value.span ?? fallback;
}
