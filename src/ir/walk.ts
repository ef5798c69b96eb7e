// Generic traversal of IR expressions: children in a fixed order, and a rebuilding map used by the passes.
import type { IrExpr } from './nodes.js';

export function children(n: IrExpr): IrExpr[] {
  switch (n.op) {
    case 'schedule':
      return n.from === n.to ? [n.from] : [n.from, n.to];
    case 'unary':
    case 'not':
      return [n.arg];
    case 'binary':
    case 'compare':
    case 'and':
    case 'or':
      return [n.left, n.right];
    case 'where':
      return [n.cond, n.then, n.else];
    case 'clip':
      return [n.arg, n.lo, n.hi];
    case 'rank':
      return [n.amount];
    case 'mean':
    case 'sum':
    case 'seqmean':
      return n.mask === undefined ? [n.arg] : [n.arg, n.mask];
    case 'count':
      return [n.mask];
    case 'cvar':
      return n.mask === undefined ? [n.arg, n.fraction] : [n.arg, n.mask, n.fraction];
    case 'groups':
      return n.rate === undefined ? [...n.terms] : [...n.terms, n.rate];
    default:
      return [];
  }
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

/** Rebuilds `n` with each child replaced by `f(child)`; leaves return `n` itself. */
export function mapChildren(n: IrExpr, f: (c: IrExpr) => IrExpr): IrExpr {
  switch (n.op) {
    case 'schedule': {
      const from = f(n.from);
      return { ...n, from, to: n.from === n.to ? from : f(n.to) };
    }
    case 'unary':
    case 'not':
      return { ...n, arg: f(n.arg) } as IrExpr;
    case 'binary':
    case 'compare':
    case 'and':
    case 'or':
      return { ...n, left: f(n.left), right: f(n.right) } as IrExpr;
    case 'where':
      return { ...n, cond: f(n.cond), then: f(n.then), else: f(n.else) };
    case 'clip':
      return { ...n, arg: f(n.arg), lo: f(n.lo), hi: f(n.hi) };
    case 'rank':
      return { ...n, amount: f(n.amount) };
    case 'mean':
    case 'sum':
    case 'seqmean':
      return n.mask === undefined ? { ...n, arg: f(n.arg) } : { ...n, arg: f(n.arg), mask: f(n.mask) };
    case 'count':
      return { ...n, mask: f(n.mask) };
    case 'cvar':
      return n.mask === undefined ? { ...n, arg: f(n.arg), fraction: f(n.fraction) } : { ...n, arg: f(n.arg), mask: f(n.mask), fraction: f(n.fraction) };
    case 'groups':
      return n.rate === undefined
        ? { ...n, terms: n.terms.map((t) => f(t) as typeof t) }
        : { ...n, terms: n.terms.map((t) => f(t) as typeof t), rate: f(n.rate) };
    default:
      return n;
  }
}
