// The device side of a loss linear in ce (linear-form.ts): one custom-gradient op instead of a
// forward and a backward kernel per node of the general graph (tensor-graph.ts), ~50 kernels fewer
// on an SFT-GO step, each a fixed dispatch cost. A [1,N]·[N,G] product gives the group means,
// argMax picks the largest (the first of equal maxima, as the reference evaluator), then that
// choice's row and a [1,N]·[N,1] product; the gradient is dy·row, one kernel. The metrics (group
// means, the reported ce) are one more product, off the tape.
//
// As in the general path, only ce is reduced through a shared product: it is finite wherever the
// logits are, so a row's zero weights never meet an infinity from another row's tokens (0·∞);
// tokens no row reads are replaced by 0 first.
import * as tf from '@tensorflow/tfjs';
import type { Form } from './linear-form.js';

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
