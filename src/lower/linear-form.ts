// Whether a loss is linear in the head's per-token ce once the host knows the masks and the clock,
// and its rows when it is (SFT's mean(ce); SFT-GO's λ·max(groups) + (1-λ)·mean(ce); group means,
// sums and seqmeans of ce with host-scalar coefficients):
//
//     loss = c + w_k · ce,   k = the live group term of one max(groups) with the largest mean
//
// (one row w when there is no max). The host builds the rows every step from the masks and the
// reductions' weights (TensorGraph.reduceWeights, the same weights as the general path);
// linear-loss.ts runs them on the device as one op. Anything else (cvar, dro, smoothmax, products
// of two token-dependent values, other token quantities than ce, a non-finite coefficient) is not
// linear here and takes the general graph (tensor-graph.ts). No TensorFlow.js here: the plan
// (`compile --emit plan`) says which way a loss runs.
import type { GroupReduceNode, IrExpr, ReduceNode } from '../ir/nodes.js';
import { dispatch, type IrTable } from '../ir/table.js';

/** c + w·ce; `w` absent when no token carries weight. */
export interface Linear {
  w?: Float64Array;
  c: number;
}

/** One linear form, or one per live term of `select` (a max over groups): the largest group mean picks it. */
export interface Form {
  choices: Linear[];
  select?: { node: GroupReduceNode; rows: Float64Array[] };
}

/** What the host supplies at each step (TensorGraph implements it). */
export interface LinearHost {
  readonly n: number;
  hostScalar(e: IrExpr): number;
  mask(e: IrExpr): boolean[];
  /** Read-only (shared with the metrics). */
  reduceWeights(e: ReduceNode): Float64Array;
}

/** Per step: the loss's form, or undefined when this step's numbers leave the linear case (a non-finite coefficient, two different maxima). */
export type LinearLoss = (host: LinearHost) => Form | undefined;

const yes = (): boolean => true;
const no = (): boolean => false;

/** Params, schedules, the clock and constants, and arithmetic of them: one host number a step. */
const CLOCK_SCALAR = {
  const: yes, param: yes, schedule: yes, step: yes, progress: yes,
  unary: (e) => isClockScalar(e.arg),
  binary: (e) => isClockScalar(e.left) && isClockScalar(e.right),
  clip: (e) => isClockScalar(e.arg) && isClockScalar(e.lo) && isClockScalar(e.hi),
  token: no, where: no, scores: no, compare: no, and: no, or: no, not: no, rank: no, regex: no, group: no,
  mean: no, sum: no, seqmean: no, count: no, cvar: no, groups: no,
} satisfies IrTable<boolean>;

function isClockScalar(e: IrExpr): boolean {
  return dispatch(CLOCK_SCALAR, e);
}

function reducesCe(e: IrExpr): e is ReduceNode {
  return (e.op === 'mean' || e.op === 'sum' || e.op === 'seqmean') && e.arg.op === 'token' && e.arg.name === 'ce';
}

const single = (l: Linear): Form => ({ choices: [l] });

/** k·a + b (b absent: k·a). */
function axpy(k: number, a: Float64Array, b?: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = k * a[i]! + (b === undefined ? 0 : b[i]!);
  return out;
}

function scale(f: Form, k: number): Form | undefined {
  if (!Number.isFinite(k)) return undefined;
  return { ...f, choices: f.choices.map((l) => ({ w: l.w && axpy(k, l.w), c: l.c * k })) };
}

function addLinear(a: Linear, b: Linear, sign: number): Linear {
  return { w: b.w === undefined ? a.w : axpy(sign, b.w, a.w), c: a.c + sign * b.c };
}

function combine(a: Form, b: Form, sign: number): Form | undefined {
  if (a.select !== undefined && b.select !== undefined) {
    // The same max read twice (the IR is CSE'd): choice by choice. Two different maxima: not linear.
    if (a.select.node !== b.select.node) return undefined;
    return { select: a.select, choices: a.choices.map((l, i) => addLinear(l, b.choices[i]!, sign)) };
  }
  if (b.select !== undefined) return { select: b.select, choices: b.choices.map((l) => addLinear(a.choices[0]!, l, sign)) };
  return { select: a.select, choices: a.choices.map((l) => addLinear(l, b.choices[0]!, sign)) };
}

/**
 * Compiles the loss into its per-step form builder, or undefined when it is not linear in ce.
 * Decided once per objective from the IR; the numbers come from the host every step.
 */
export function compileLinearLoss(e: IrExpr): LinearLoss | undefined {
  if (isClockScalar(e)) return (host) => single({ c: host.hostScalar(e) });
  return dispatch(LINEAR, e);
}

const notLinear = (): undefined => undefined;

/** A reduction of ce: its host weights; of anything else: not linear in ce. */
const linearReduce = (e: ReduceNode): LinearLoss | undefined => (reducesCe(e) ? (host) => single({ w: host.reduceWeights(e), c: 0 }) : undefined);

/** Each kind's per-step form builder; clock scalars were taken before the table is consulted. */
const LINEAR = {
  count: (e) => (host) => single({ c: host.mask(e.mask).filter(Boolean).length }),
  mean: linearReduce, sum: linearReduce, seqmean: linearReduce,
  unary: (e) => {
    const arg = e.fn === 'neg' ? compileLinearLoss(e.arg) : undefined;
    return arg && ((host) => { const f = arg(host); return f && scale(f, -1); });
  },
  binary: (e) => {
    const left = compileLinearLoss(e.left);
    const right = compileLinearLoss(e.right);
    if (left === undefined || right === undefined) return undefined;
    switch (e.fn) {
      case 'add':
      case 'sub': {
        const sign = e.fn === 'add' ? 1 : -1;
        return (host) => { const a = left(host); const b = right(host); return a && b && combine(a, b, sign); };
      }
      case 'mul':
        if (isClockScalar(e.left)) return (host) => { const f = right(host); return f && scale(f, host.hostScalar(e.left)); };
        if (isClockScalar(e.right)) return (host) => { const f = left(host); return f && scale(f, host.hostScalar(e.right)); };
        return undefined;
      case 'div':
        if (isClockScalar(e.right)) return (host) => { const f = left(host); return f && scale(f, 1 / host.hostScalar(e.right)); };
        return undefined;
      case 'pow':
      case 'max':
      case 'min':
        return undefined;
    }
  },
  groups: (e) => {
    if ((e.fn !== 'max' && e.fn !== 'mean') || !e.terms.every(reducesCe)) return undefined;
    return (host) => {
      const live = e.terms.filter((t) => host.mask(t.mask!).some(Boolean));
      // Empty groups are skipped; no live group at all gives 0 (as the general path).
      if (live.length === 0) return single({ c: 0 });
      const rows = live.map((t) => host.reduceWeights(t));
      if (e.fn === 'mean') return single({ w: rows.reduce((sum, r) => axpy(1, r, sum), new Float64Array(host.n)).map((x) => x / live.length), c: 0 });
      if (rows.length === 1) return single({ w: rows[0]!, c: 0 });
      return { select: { node: e, rows }, choices: rows.map((w) => ({ w, c: 0 })) };
    };
  },
  // Clock scalars are handled before the table; a lone token, a clip, a where, a cvar or a smooth
  // group maximum is not linear in ce (the general path evaluates it).
  const: notLinear, param: notLinear, schedule: notLinear, step: notLinear, progress: notLinear,
  token: notLinear, clip: notLinear, where: notLinear, scores: notLinear, cvar: notLinear,
  compare: notLinear, and: notLinear, or: notLinear, not: notLinear, rank: notLinear, regex: notLinear, group: notLinear,
} satisfies IrTable<LinearLoss | undefined>;
