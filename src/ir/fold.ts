// Constant folding: arithmetic on compile-time numbers, and the identities x·1, 1·x, x+0, 0+x,
// x−0, x/1. Params are never folded into their uses (the command line can override them) but their
// own values are folded. x·0 is left alone: it would hide a NaN and change the gradient's graph.
import { MATH, type MathName } from '../language/builtins.js';
import type { IrExpr, Objective, UnaryFn } from './nodes.js';
import { mapChildren, memoised } from './walk.js';

function isConst(n: IrExpr, value?: number): n is Extract<IrExpr, { op: 'const' }> {
  return n.op === 'const' && (value === undefined || n.value === value);
}

const UNARY: Record<UnaryFn, (x: number) => number> = {
  neg: (x) => -x,
  ...(Object.fromEntries(Object.entries(MATH).map(([name, f]) => [name, f.value])) as Record<MathName, (x: number) => number>),
};
const BINARY: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b, sub: (a, b) => a - b, mul: (a, b) => a * b, div: (a, b) => a / b, pow: (a, b) => a ** b, max: Math.max, min: Math.min,
};

export function foldExpr(n: IrExpr): IrExpr {
  return memoised(foldNode)(n);
}

/** One node with its children already folded by `fold` (memoised: each shared node is folded once). */
function foldNode(n: IrExpr, fold: (c: IrExpr) => IrExpr): IrExpr {
  const m = mapChildren(n, fold);
  if (m.op === 'unary' && isConst(m.arg)) return { op: 'const', type: 'number', value: UNARY[m.fn]!(m.arg.value), span: m.span };
  if (m.op === 'binary') {
    const { left: l, right: r } = m;
    if (isConst(l) && isConst(r)) return { op: 'const', type: 'number', value: BINARY[m.fn]!(l.value, r.value), span: m.span };
    // The identities keep the other operand, whose type equals the node's (a number never widens).
    if (m.fn === 'mul' && isConst(r, 1) && l.type === m.type) return l;
    if (m.fn === 'mul' && isConst(l, 1) && r.type === m.type) return r;
    if (m.fn === 'add' && isConst(l, 0) && r.type === m.type) return r;
    if ((m.fn === 'add' || m.fn === 'sub') && isConst(r, 0) && l.type === m.type) return l;
    if (m.fn === 'div' && isConst(r, 1) && l.type === m.type) return l;
  }
  if (m.op === 'clip' && isConst(m.arg) && isConst(m.lo) && isConst(m.hi)) {
    return { op: 'const', type: 'number', value: Math.min(Math.max(m.arg.value, m.lo.value), m.hi.value), span: m.span };
  }
  return m;
}

export function foldObjective(o: Objective): Objective {
  const fold = memoised(foldNode);
  return {
    ...o,
    params: o.params.map((p) => ({ ...p, value: fold(p.value) })),
    partition: { ...o.partition, groups: o.partition.groups.map((g) => ({ ...g, selector: fold(g.selector) })) },
    loss: fold(o.loss),
  };
}
