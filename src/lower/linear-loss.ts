// The common case on few kernels: a loss that is linear in the head's per-token ce once the host
// knows the masks and the clock (SFT's mean(ce); SFT-GO's λ·max(groups) + (1-λ)·mean(ce); group
// means, sums and seqmeans of ce with host-scalar coefficients). Such a loss is
//
//     loss = c + w_k · ce,   k = the live group term of one max(groups) with the largest mean
//
// (one row w when there is no max): the host builds the rows from the masks and the reductions'
// weights (TensorGraph.reduceWeights, the same weights as the general path), and the device runs
// one custom-gradient op: a [1,N]·[N,G] product for the group means, argMax (ties to the first, as
// the reference evaluator), the chosen row and a [1,N]·[N,1] product; the gradient is dy·w_k, one
// kernel. The general graph (tensor-graph.ts) evaluates the loss node by node, with a forward and
// a backward kernel per node: ~50 kernels more on an SFT-GO step, each a fixed dispatch cost.
//
// Anything else (cvar, dro, smoothmax, products of two token-dependent values, other token
// quantities than ce, a non-finite coefficient) is not linear here and takes the general graph.
// As there, only ce is reduced through a shared product: it is finite wherever the logits are, so
// a row's zero weights never meet an infinity from another row's tokens (0·∞); tokens no row reads
// are replaced by 0 first.
import * as tf from '@tensorflow/tfjs';
import type { GroupReduceNode, IrExpr, ReduceNode } from '../ir/nodes.js';

/** c + w·ce; `w` absent when no token carries weight. */
interface Linear {
  w?: Float64Array;
  c: number;
}

/** One linear form, or one per live term of `select` (a max over groups): the largest group mean picks it. */
interface Form {
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

/** Params, schedules, the clock and constants, and arithmetic of them: one host number a step. */
function isClockScalar(e: IrExpr): boolean {
  switch (e.op) {
    case 'const': case 'param': case 'schedule': case 'step': case 'progress':
      return true;
    case 'unary':
      return isClockScalar(e.arg);
    case 'binary':
      return isClockScalar(e.left) && isClockScalar(e.right);
    case 'clip':
      return isClockScalar(e.arg) && isClockScalar(e.lo) && isClockScalar(e.hi);
    default:
      return false;
  }
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
  switch (e.op) {
    case 'count':
      return (host) => single({ c: host.mask(e.mask).filter(Boolean).length });
    case 'mean': case 'sum': case 'seqmean':
      if (!reducesCe(e)) return undefined;
      return (host) => single({ w: host.reduceWeights(e), c: 0 });
    case 'unary': {
      const arg = e.fn === 'neg' ? compileLinearLoss(e.arg) : undefined;
      return arg && ((host) => { const f = arg(host); return f && scale(f, -1); });
    }
    case 'binary': {
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
        default:
          return undefined;
      }
    }
    case 'groups': {
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
    }
    default:
      return undefined;
  }
}

/** The rows as a row-major [rows, n] float32 matrix. */
function matrix(rows: readonly Float64Array[], n: number): tf.Tensor2D {
  const out = new Float32Array(rows.length * n);
  rows.forEach((r, j) => out.set(r, j * n));
  return tf.tensor2d(out, [rows.length, n]);
}

/** ce with the tokens no row reads replaced by 0 (ce there may be anything); ce itself when every token is read. */
function readOnly(ce: tf.Tensor1D, rows: readonly Float64Array[]): tf.Tensor1D {
  const n = ce.shape[0];
  const read = new Array<boolean>(n).fill(false);
  for (const r of rows) for (let i = 0; i < n; i++) if (r[i] !== 0) read[i] = true;
  return read.every(Boolean) ? ce : tf.where(tf.tensor1d(read, 'bool'), ce, tf.zerosLike(ce)) as tf.Tensor1D;
}

/**
 * The loss of `form` on ce [N], as one op with its own gradient (dy times the chosen row). Its
 * forward kernels are off the tape (a custom gradient's forward is not recorded), so they cost no
 * saved copies and no gradient kernels.
 */
export function linearLossValue(ce: tf.Tensor1D, form: Form): tf.Scalar {
  const n = ce.shape[0];
  const rows = form.choices.map((l) => l.w ?? new Float64Array(n));
  const c = form.choices[0]!.c; // every choice has the same constant: only terms outside the max add one
  const x = readOnly(ce, form.select === undefined ? rows : [...rows, ...form.select.rows]);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = tf.reshape(args[0] as tf.Tensor, [1, n]);
    const save = args[1] as tf.GradSaveFunc;
    let row: tf.Tensor2D;
    let gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor;
    if (form.select === undefined) {
      const w = Float32Array.from(rows[0]!);
      row = tf.tensor2d(w, [1, n]);
      gradFunc = (dy) => tf.mul(dy, tf.tensor1d(w));
    } else {
      // The group means as one product, argMax of them (the first of equal maxima), that choice's row.
      const k = tf.argMax(tf.matMul(xs, matrix(form.select.rows, n), false, true), 1);
      row = tf.gather(matrix(rows, n), k) as tf.Tensor2D;
      save([row]);
      gradFunc = (dy, saved) => tf.mul(dy, tf.reshape(saved[0]!, [n]));
    }
    const dot = tf.reshape(tf.matMul(xs, row, false, true), []);
    return { value: (c === 0 ? dot : tf.add(dot, c)) as tf.Scalar, gradFunc };
  }) as (x: tf.Tensor1D) => tf.Scalar;
  return op(x);
}

/**
 * Σ w·ce for each row, as scalars (the group means and the ce the trainer reports): one product,
 * off the tape (they are read, never differentiated).
 */
export function rowValues(ce: tf.Tensor1D, rows: readonly Float64Array[]): tf.Scalar[] {
  const n = ce.shape[0];
  const x = readOnly(ce, rows);
  const product = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.reshape(tf.matMul(tf.reshape(args[0] as tf.Tensor, [1, n]), matrix(rows, n), false, true), [rows.length]),
    gradFunc: () => tf.zeros([n]),
  })) as (x: tf.Tensor1D) => tf.Tensor1D;
  const values = product(x);
  return rows.length === 1 ? [tf.reshape(values, []) as tf.Scalar] : tf.unstack(values) as tf.Scalar[];
}
