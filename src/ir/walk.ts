// Generic traversal of IR expressions: children in a fixed order, and a rebuilding map used by the passes.
import type { IrExpr } from './nodes.js';
import { dispatch, type IrTable } from './table.js';

const none = (): IrExpr[] => [];
const unaryChild = (n: { arg: IrExpr }): IrExpr[] => [n.arg];
const pair = (n: { left: IrExpr; right: IrExpr }): IrExpr[] => [n.left, n.right];
const reduced = (n: { arg: IrExpr; mask?: IrExpr }): IrExpr[] => (n.mask === undefined ? [n.arg] : [n.arg, n.mask]);

/** Each kind's children, in the fixed order every pass visits them. */
const CHILDREN = {
  const: none, param: none, token: none, step: none, progress: none, scores: none, regex: none, group: none,
  schedule: (n) => (n.from === n.to ? [n.from] : [n.from, n.to]),
  unary: unaryChild,
  not: unaryChild,
  binary: pair, compare: pair, and: pair, or: pair,
  where: (n) => [n.cond, n.then, n.else],
  clip: (n) => [n.arg, n.lo, n.hi],
  rank: (n) => [n.amount],
  mean: reduced, sum: reduced, seqmean: reduced,
  count: (n) => [n.mask],
  cvar: (n) => (n.mask === undefined ? [n.arg, n.fraction] : [n.arg, n.mask, n.fraction]),
  groups: (n) => (n.rate === undefined ? [...n.terms] : [...n.terms, n.rate]),
} satisfies IrTable<IrExpr[]>;

export function children(n: IrExpr): IrExpr[] {
  return dispatch(CHILDREN, n);
}

/**
 * Pre-order visit of every distinct node, each once however many parents share it: the IR is a DAG
 * (a let used twice is one node), and visiting per reference would be exponential in the lets.
 */
export function walk(n: IrExpr, visit: (n: IrExpr) => void, seen: Set<IrExpr> = new Set()): void {
  if (seen.has(n)) return;
  seen.add(n);
  visit(n);
  for (const c of children(n)) walk(c, visit, seen);
}

/**
 * How many nodes `n` has when printed as a tree (shared nodes counted once per reference), capped
 * at `cap` + 1 so a DAG of doubling lets is measured without expanding it.
 */
export function treeSize(n: IrExpr, cap: number, memo: Map<IrExpr, number> = new Map()): number {
  const known = memo.get(n);
  if (known !== undefined) return known;
  let size = 1;
  for (const c of children(n)) {
    size += treeSize(c, cap, memo);
    if (size > cap) break;
  }
  size = Math.min(size, cap + 1);
  memo.set(n, size);
  return size;
}

/** Rebuilds every node of a DAG once: `f` sees each distinct node once and shared nodes stay shared. */
export function memoised(f: (n: IrExpr, self: (c: IrExpr) => IrExpr) => IrExpr): (n: IrExpr) => IrExpr {
  const done = new Map<IrExpr, IrExpr>();
  const self = (n: IrExpr): IrExpr => {
    let out = done.get(n);
    if (out === undefined) {
      out = f(n, self);
      done.set(n, out);
    }
    return out;
  };
  return self;
}

const same = (n: IrExpr): IrExpr => n;
const mapPair = <N extends IrExpr & { left: IrExpr; right: IrExpr }>(n: N, f: (c: IrExpr) => IrExpr): N => ({ ...n, left: f(n.left), right: f(n.right) });
const mapArg = <N extends IrExpr & { arg: IrExpr }>(n: N, f: (c: IrExpr) => IrExpr): N => ({ ...n, arg: f(n.arg) });
const mapReduced = <N extends IrExpr & { arg: IrExpr; mask?: IrExpr }>(n: N, f: (c: IrExpr) => IrExpr): N =>
  n.mask === undefined ? { ...n, arg: f(n.arg) } : { ...n, arg: f(n.arg), mask: f(n.mask) };

/** Each kind rebuilt with its children mapped; leaves are returned as they are. */
const MAP_CHILDREN = {
  const: same, param: same, token: same, step: same, progress: same, scores: same, regex: same, group: same,
  schedule: (n, f) => {
    const from = f(n.from);
    return { ...n, from, to: n.from === n.to ? from : f(n.to) };
  },
  unary: mapArg, not: mapArg,
  binary: mapPair, compare: mapPair, and: mapPair, or: mapPair,
  where: (n, f) => ({ ...n, cond: f(n.cond), then: f(n.then), else: f(n.else) }),
  clip: (n, f) => ({ ...n, arg: f(n.arg), lo: f(n.lo), hi: f(n.hi) }),
  rank: (n, f) => ({ ...n, amount: f(n.amount) }),
  mean: mapReduced, sum: mapReduced, seqmean: mapReduced,
  count: (n, f) => ({ ...n, mask: f(n.mask) }),
  cvar: (n, f) => (n.mask === undefined ? { ...n, arg: f(n.arg), fraction: f(n.fraction) } : { ...n, arg: f(n.arg), mask: f(n.mask), fraction: f(n.fraction) }),
  groups: (n, f) =>
    n.rate === undefined
      ? { ...n, terms: n.terms.map((t) => f(t) as typeof t) }
      : { ...n, terms: n.terms.map((t) => f(t) as typeof t), rate: f(n.rate) },
} satisfies IrTable<IrExpr, [(c: IrExpr) => IrExpr]>;

/** Rebuilds `n` with each child replaced by `f(child)`; leaves return `n` itself. */
export function mapChildren(n: IrExpr, f: (c: IrExpr) => IrExpr): IrExpr {
  return dispatch(MAP_CHILDREN, n, f);
}
