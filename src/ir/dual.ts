// Forward-mode dual numbers for the reference evaluator: a value and its derivative with respect to
// one chosen input. Plain arithmetic, so each rule can be read against its calculus.
import { MATH, type MathName } from '../language/builtins.js';
import type { UnaryFn } from './nodes.js';

export interface D {
  v: number;
  d: number;
}

export const c = (v: number): D => ({ v, d: 0 });

/** ceil(P·n), robust to 0.3·10 = 3.0000000000000004. */
export function keep(fraction: number, n: number): number {
  return Math.min(n, Math.max(0, Math.ceil(fraction * n - 1e-9)));
}

export const add = (a: D, b: D): D => ({ v: a.v + b.v, d: a.d + b.d });
export const mul = (a: D, b: D): D => ({ v: a.v * b.v, d: a.d * b.v + a.v * b.d });

export function meanOf(xs: D[]): D {
  if (xs.length === 0) return c(0);
  const s = xs.reduce(add, c(0));
  return { v: s.v / xs.length, d: s.d / xs.length };
}

/** Negation, and the language's math functions by the chain rule from their table entry (src/language/builtins.ts). */
export const UNARY: Record<UnaryFn, (x: D) => D> = {
  neg: (x) => ({ v: -x.v, d: -x.d }),
  ...(Object.fromEntries(Object.entries(MATH).map(([name, f]) => [name, (x: D): D => ({ v: f.value(x.v), d: f.derivative(x.v) * x.d })])) as Record<MathName, (x: D) => D>),
};

export const BINARY: Record<string, (a: D, b: D) => D> = {
  add,
  sub: (a, b) => ({ v: a.v - b.v, d: a.d - b.d }),
  mul,
  div: (a, b) => ({ v: a.v / b.v, d: (a.d * b.v - a.v * b.d) / (b.v * b.v) }),
  pow: (a, b) => {
    const v = a.v ** b.v;
    const viaBase = a.d === 0 ? 0 : b.v * a.v ** (b.v - 1) * a.d;
    const viaExponent = b.d === 0 ? 0 : Math.log(a.v) * v * b.d;
    return { v, d: viaBase + viaExponent };
  },
  // Ties go to the first operand, value and gradient alike.
  max: (a, b) => (b.v > a.v ? b : a),
  min: (a, b) => (b.v < a.v ? b : a),
};

export const COMPARE: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => a < b, '<=': (a, b) => a <= b, '>': (a, b) => a > b, '>=': (a, b) => a >= b, '==': (a, b) => a === b, '!=': (a, b) => a !== b,
};
