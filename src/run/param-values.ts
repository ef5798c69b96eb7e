// The value of each param of a compiled objective at a training step, for metrics.jsonl's `params`
// (CLI.md: "the scalar values of every param, λ included"). Params are numbers or the schedules of
// LANGUAGE.md §7, evaluated on the host: const(v); linear(a -> b, over = P) goes from a at step 0 to
// b at step ⌊P·S⌋ and stays there; cosine the same along a half-cosine. Params built from other
// params or arithmetic are evaluated recursively; anything else (which the checker does not allow
// in a param) yields NaN rather than a made-up number.
import type { IrExpr, Objective } from '../ir/nodes.js';

export interface Clock {
  step: number;
  totalSteps: number;
}

export function evaluateParamExpr(e: IrExpr, clock: Clock, params: ReadonlyMap<string, IrExpr>, depth = 0): number {
  if (depth > 32) return NaN; // a cycle, which the checker rules out; never loop forever
  const rec = (x: IrExpr) => evaluateParamExpr(x, clock, params, depth + 1);
  switch (e.op) {
    case 'const':
      return e.value;
    case 'param': {
      const p = params.get(e.name);
      return p === undefined ? NaN : rec(p);
    }
    case 'step':
      return clock.step;
    case 'progress':
      return clock.totalSteps > 0 ? clock.step / clock.totalSteps : 0;
    case 'schedule': {
      const from = rec(e.from);
      const to = rec(e.to);
      if (e.kind === 'const') return from;
      const end = Math.floor(e.over * clock.totalSteps);
      const t = end <= 0 ? 1 : Math.min(1, clock.step / end);
      const shape = e.kind === 'linear' ? t : 0.5 * (1 - Math.cos(Math.PI * t));
      return from + (to - from) * shape;
    }
    case 'unary': {
      const a = rec(e.arg);
      switch (e.fn) {
        case 'neg': return -a;
        case 'exp': return Math.exp(a);
        case 'log': return Math.log(a);
        case 'sqrt': return Math.sqrt(a);
        case 'abs': return Math.abs(a);
        case 'sg': return a;
      }
      return NaN;
    }
    case 'binary': {
      const [a, b] = [rec(e.left), rec(e.right)];
      switch (e.fn) {
        case 'add': return a + b;
        case 'sub': return a - b;
        case 'mul': return a * b;
        case 'div': return a / b;
        case 'pow': return a ** b;
        case 'max': return Math.max(a, b);
        case 'min': return Math.min(a, b);
      }
      return NaN;
    }
    case 'clip':
      return Math.min(Math.max(rec(e.arg), rec(e.lo)), rec(e.hi));
    default:
      return NaN;
  }
}

/** Every param's value at `clock`, in declaration order. */
export function paramValues(objective: Objective, clock: Clock): Record<string, number> {
  const defs = new Map(objective.params.map((p) => [p.name, p.value]));
  return Object.fromEntries(objective.params.map((p) => [p.name, evaluateParamExpr(p.value, clock, defs)]));
}
