// The text form of the IR for `sftgoc compile --emit ir`: one line per param, group and the loss,
// in the surface syntax where it exists, so the card's one-liner reads
//   loss = λ * max(mean(ce[important]), mean(ce[rest])) + (1 - λ) * mean(ce)
// and a JSON form that keeps every field (spans optional).
import { SCORERS } from '../language/builtins.js';
import { rewardText } from '../language/on-policy-settings.js';
import type { IrExpr, Objective, ScorerCall } from './nodes.js';
import { dispatch, type IrNodeOf, type IrTable } from './table.js';
import { children, treeSize, walk } from './walk.js';

/**
 * Expressions up to this many nodes print as one tree. A larger one (a DAG whose shared lets would
 * expand exponentially) prints each shared node once as `%k` under a `where` clause.
 */
export const TREE_PRINT_LIMIT = 2000;

export function formatNumber(v: number): string {
  return Number.isInteger(v) || Math.abs(v) >= 1e-4 ? String(Number(v.toPrecision(12))) : v.toExponential();
}

function formatPercent(v: number): string {
  return `${Number((v * 100).toPrecision(12))}%`;
}

/** Scorer arguments that differ from their defaults, as `name = value`. */
function scorerArgs(s: ScorerCall): string[] {
  const defaults = new Map(SCORERS[s.name].params);
  return Object.entries(s.args)
    .filter(([k, v]) => defaults.get(k) !== v)
    .map(([k, v]) => `${k} = ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
}

export function formatScorer(s: ScorerCall, all = false): string {
  const args = all ? Object.entries(s.args).map(([k, v]) => `${k} = ${typeof v === 'string' ? JSON.stringify(v) : String(v)}`) : scorerArgs(s);
  return `${s.name}(${args.join(', ')})`;
}

const PREC = { or: 1, and: 2, not: 3, compare: 4, add: 5, mul: 6, neg: 7, pow: 8, atom: 9 } as const;
const BINARY_TEXT: Record<string, [string, number]> = { add: ['+', PREC.add], sub: ['-', PREC.add], mul: ['*', PREC.mul], div: ['/', PREC.mul], pow: ['^', PREC.pow] };

export function printExpr(n: IrExpr): string {
  if (treeSize(n, TREE_PRINT_LIMIT) <= TREE_PRINT_LIMIT) return print(n, 0);
  return printShared(n);
}

/** Names shared composite nodes `%0`, `%1`, … (children before parents) while printing. */
let sharedNames: Map<IrExpr, string> | undefined;

function printShared(root: IrExpr): string {
  const parents = new Map<IrExpr, number>();
  const order: IrExpr[] = [];
  walk(root, (n) => {
    order.push(n);
    for (const c of children(n)) parents.set(c, (parents.get(c) ?? 0) + 1);
  });
  const shared = order.filter((n) => (parents.get(n) ?? 0) > 1 && children(n).length > 0).reverse();
  const names = new Map<IrExpr, string>();
  const bindings: string[] = [];
  try {
    sharedNames = names;
    // Pre-order reversed puts every node after its descendants, so each binding uses earlier ones.
    for (const n of shared) {
      bindings.push(`%${names.size} = ${print(n, 0)}`);
      names.set(n, `%${names.size}`);
    }
    return [print(root, 0), ...bindings.map((b, i) => `${i === 0 ? '  where ' : '        '}${b}`)].join('\n');
  } finally {
    sharedNames = undefined;
  }
}

function wrap(text: string, prec: number, min: number): string {
  return prec < min ? `(${text})` : text;
}

function call(name: string, args: string[]): string {
  return `${name}(${args.join(', ')})`;
}

/** `x` or `x[g]` inside a reduction. */
function restricted(arg: IrExpr, mask: IrExpr | undefined): string {
  return mask === undefined ? print(arg, 0) : `${print(arg, PREC.atom)}[${print(mask, 0)}]`;
}

function print(n: IrExpr, min: number): string {
  const name = sharedNames?.get(n);
  if (name !== undefined) return name;
  return dispatch(PRINT, n, min);
}

const printName = (n: IrNodeOf<'param' | 'token' | 'group'>): string => n.name;
const printClock = (n: IrNodeOf<'step' | 'progress'>): string => n.op;
const printReduction = (n: IrNodeOf<'mean' | 'sum' | 'seqmean'>): string => call(n.op, [restricted(n.arg, n.mask)]);

/** Each kind in the surface syntax, parenthesised when its precedence is below `min`. */
const PRINT = {
  const: (n, min) => n.percent ? formatPercent(n.value) : wrap(formatNumber(n.value), n.value < 0 ? PREC.neg : PREC.atom, min),
  param: printName,
  token: printName,
  group: printName,
  step: printClock,
  progress: printClock,
  schedule: (n) => {
    if (n.kind === 'const') return call('const', [print(n.from, 0)]);
    const args = [`${print(n.from, 0)} -> ${print(n.to, 0)}`];
    if (n.over !== 1) args.push(`over = ${formatPercent(n.over)}`);
    return call(n.kind, args);
  },
  unary: (n, min) => n.fn === 'neg' ? wrap(`-${print(n.arg, PREC.pow)}`, PREC.neg, min) : call(n.fn, [print(n.arg, 0)]),
  binary: (n, min) => {
    if (n.fn === 'max' || n.fn === 'min') return call(n.fn, [print(n.left, 0), print(n.right, 0)]);
    const [op, prec] = BINARY_TEXT[n.fn]!;
    const text = n.fn === 'pow' ? `${print(n.left, PREC.atom)} ^ ${print(n.right, PREC.pow)}` : `${print(n.left, prec)} ${op} ${print(n.right, prec + 1)}`;
    return wrap(text, prec, min);
  },
  compare: (n, min) => wrap(`${print(n.left, PREC.add)} ${n.fn} ${print(n.right, PREC.add)}`, PREC.compare, min),
  and: (n, min) => wrap(`${print(n.left, PREC.and)} and ${print(n.right, PREC.not)}`, PREC.and, min),
  or: (n, min) => wrap(`${print(n.left, PREC.or)} or ${print(n.right, PREC.and)}`, PREC.or, min),
  not: (n, min) => wrap(`not ${print(n.arg, PREC.compare)}`, PREC.not, min),
  where: (n) => call('where', [print(n.cond, 0), print(n.then, 0), print(n.else, 0)]),
  clip: (n) => call('clip', [print(n.arg, 0), print(n.lo, 0), print(n.hi, 0)]),
  scores: (n) => formatScorer(n.scorer),
  rank: (n) => {
    const args = scorerArgs(n.scorer);
    args.push(`${n.direction} ${print(n.amount, 0)} per ${n.scope}`);
    return call(n.scorer.name, args);
  },
  regex: (n) => call('regex', [JSON.stringify(n.pattern)]),
  mean: printReduction,
  sum: printReduction,
  seqmean: printReduction,
  count: (n) => call('count', [print(n.mask, 0)]),
  cvar: (n) => call('cvar', [restricted(n.arg, n.mask), print(n.fraction, 0)]),
  groups: (n) => {
    const terms = n.terms.map((t) => print(t, 0));
    if (n.fn === 'smoothmax') terms.push(`temperature = ${print(n.rate!, 0)}`);
    if (n.fn === 'dro') terms.push(`step = ${print(n.rate!, 0)}`);
    return call(n.fn === 'mean' ? 'groupmean' : n.fn, terms);
  },
} satisfies IrTable<string, [number]>;

/** The whole objective as text: header, params, scorers, partition, loss. */
export function printObjective(o: Objective): string {
  const lines = [`objective ${o.name}`];
  for (const p of o.params) {
    const notes = [p.overridden ? 'overridden' : '', p.used ? '' : 'unused'].filter((n) => n !== '');
    lines.push(`param ${p.name} = ${printExpr(p.value)}${notes.length > 0 ? `  # ${notes.join(', ')}` : ''}`);
  }
  for (const s of o.partition.scorers) lines.push(`scorer ${formatScorer(s, true)}  # ${s.kind}`);
  for (const g of o.partition.groups) lines.push(`group ${g.name} = ${printExpr(g.selector)}  # ${g.kind}`);
  if (o.partition.groups.length > 0) lines.push(`group rest = not (${o.partition.groups.map((g) => g.name).join(' or ')})`);
  lines.push(`loss = ${printExpr(o.loss)}`);
  const req = Object.entries(o.requires).filter(([, v]) => v).map(([k]) => k);
  if (req.length > 0) lines.push(`requires ${req.join(', ')}`);
  if (o.reward !== undefined) lines.push(`reward = ${rewardText(o.reward)}`);
  for (const [block, value] of Object.entries(o.settings)) lines.push(`${block} ${JSON.stringify(value)}`);
  return lines.join('\n') + '\n';
}

/** The JSON form; spans are dropped unless asked for, so the output is stable across edits of comments. */
export function objectiveToJson(o: Objective, options: { spans?: boolean } = {}): string {
  const { settingSpans, ...rest } = o;
  const keep = options.spans === true;
  // A DAG too large to expand writes each shared node once, with an `id`, and `{ "ref": id }` after.
  const memo = new Map<IrExpr, number>();
  const roots = [o.loss, ...o.params.map((p) => p.value), ...o.partition.groups.map((g) => g.selector)];
  const limit = TREE_PRINT_LIMIT * 4;
  const expand = roots.reduce((sum, r) => sum + treeSize(r, limit, memo), 0) <= limit;
  const ids = new Map<object, number>();
  return JSON.stringify(keep ? { ...rest, settingSpans } : rest, (key, value: unknown) => {
    if (!keep && key === 'span') return undefined;
    if (expand || typeof value !== 'object' || value === null || !('op' in value)) return value;
    const id = ids.get(value);
    if (id !== undefined) return { ref: id };
    ids.set(value, ids.size);
    return { id: ids.size - 1, ...value };
  }, 2);
}
