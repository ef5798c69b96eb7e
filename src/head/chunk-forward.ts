// Forward pass of the fused head: an online log-sum-exp over vocabulary chunks.
//
// State per token: m (running max), s = Σ e^(l−m), u = Σ e^(l−m)·(l−m) (≤ 0), z (target logit).
// When the max moves from m to m' (δ = m − m' ≤ 0) the old sums rescale by e^δ and each old (l−m)
// becomes (l−m)+δ, so s' = e^δ·s + Σ_chunk and u' = e^δ·(u + δ·s) + Σ_chunk. Keeping u relative to
// the max (rather than Σ p·l) avoids cancellation: the entropy log s − u/s is then a difference of
// small numbers even when the logits are ±80.
//
// Inside a chunk, [N × chunk] intermediates are disposed as soon as they are used (not only at the
// end of the tidy), so at most three of them are alive at once: that is the head's memory bound.
//
// Single chunk (chunk ≥ V): the caller may ask to keep that chunk's logits ([N × V], what the unfused
// path holds anyway) so that the backward skips recomputing them, a [N×H]·[H×V] matMul. With more
// than one chunk nothing [N × chunk] outlives its chunk.
import * as tf from '@tensorflow/tfjs';
import { freeing, type WeightChunk } from './chunks.js';
import { clampInt } from './targets.js';

/**
 * Per-token statistics of the forward pass, all [N]. The log-partition is kept as max + logSumExp
 * and never added up: m + log s rounds to the ulp of the logits (≈ 5e-6 at 80), while every use
 * subtracts m first ((l − m) is exact for nearby logits) and only then the small log s.
 */
export interface ForwardStats {
  /** max_v l_v. */
  max: tf.Tensor1D;
  /** log Σ_v e^(l_v − max) ∈ [0, log V]. */
  logSumExp: tf.Tensor1D;
  /** logit of the (clamped) target. */
  targetLogit: tf.Tensor1D;
  /** present when asked for. */
  entropy?: tf.Tensor1D;
  /** The single chunk's logits [N, V], present when keepLogits was asked for. */
  logits?: tf.Tensor2D;
  /** softmax of the single chunk's logits [N, V], present when probabilities were asked for. */
  probs?: tf.Tensor2D;
}

interface RunningStats {
  max: tf.Tensor1D;
  sumExp: tf.Tensor1D;
  /** Σ e^(l−m)·(l−m); only tracked for the entropy. */
  sumExpShifted?: tf.Tensor1D;
  targetLogit: tf.Tensor1D;
  /** The chunk's logits, kept only for a single chunk (see forwardStats); owned by the caller. */
  logits?: tf.Tensor2D;
}

/** The target's logit if it lies in [start, start+size), else 0: a flat gather at row·size + column. */
function targetLogitInChunk(logits: tf.Tensor2D, targets: tf.Tensor1D, start: number, size: number): tf.Tensor1D {
  return tf.tidy(() => {
    const tokens = logits.shape[0];
    const local = tf.sub(targets, tf.scalar(start, 'int32')) as tf.Tensor1D;
    const inChunk = tf.logicalAnd(tf.greaterEqual(local, 0), tf.less(local, size));
    // Not gather(batchDims = 1): on the wasm backend (tfjs 4.22) it returns wrong rows.
    const flatIndex = tf.add(tf.mul(tf.range(0, tokens, 1, 'int32'), tf.scalar(size, 'int32')), clampInt(local, 0, size - 1));
    const gathered = tf.gather(tf.reshape(logits, [tokens * size]), flatIndex);
    return tf.where(inChunk, gathered, tf.zerosLike(gathered)) as tf.Tensor1D;
  });
}

/** Folds one chunk into the running statistics (undefined before the first chunk). */
function foldChunk(
  previous: RunningStats | undefined, hidden: tf.Tensor2D, chunk: WeightChunk, targets: tf.Tensor1D, wantEntropy: boolean,
  keepLogits: boolean,
): RunningStats {
  const { start, size } = chunk;
  return tf.tidy(() => {
    const logits = tf.matMul(hidden, chunk.rowsT) as tf.Tensor2D;
    const chunkMax = tf.max(logits, 1) as tf.Tensor1D;
    const max: tf.Tensor1D = previous === undefined ? chunkMax : freeing(tf.maximum(previous.max, chunkMax) as tf.Tensor1D, chunkMax);
    // Taken from the same logits as the max, so ce = m + log s − z ≥ 0 exactly.
    const chunkTarget = targetLogitInChunk(logits, targets, start, size);
    const shifted = tf.sub(logits, tf.expandDims(max, 1));
    if (!keepLogits) logits.dispose();
    const exps = tf.exp(shifted);
    const chunkSum = tf.sum(exps, 1) as tf.Tensor1D;
    let chunkShiftedSum: tf.Tensor1D | undefined;
    if (wantEntropy) {
      const weighted = freeing(tf.mul(exps, shifted), exps, shifted);
      chunkShiftedSum = freeing(tf.sum(weighted, 1) as tf.Tensor1D, weighted);
    } else {
      tf.dispose([exps, shifted]);
    }
    if (previous === undefined) {
      return { max, sumExp: chunkSum, sumExpShifted: chunkShiftedSum, targetLogit: chunkTarget, logits: keepLogits ? logits : undefined };
    }
    const delta = tf.sub(previous.max, max);
    const scale = tf.exp(delta);
    const sumExp = tf.add(tf.mul(previous.sumExp, scale), chunkSum) as tf.Tensor1D;
    const sumExpShifted = previous.sumExpShifted === undefined || chunkShiftedSum === undefined ? undefined
      : tf.add(tf.mul(scale, tf.add(previous.sumExpShifted, tf.mul(delta, previous.sumExp))), chunkShiftedSum) as tf.Tensor1D;
    const targetLogit = tf.add(previous.targetLogit, chunkTarget) as tf.Tensor1D;
    return { max, sumExp, sumExpShifted, targetLogit };
  });
}

function disposeRunning(stats: RunningStats | undefined): void {
  if (stats !== undefined) tf.dispose([stats.max, stats.sumExp, stats.targetLogit, ...(stats.sumExpShifted ? [stats.sumExpShifted] : [])]);
}

/**
 * The online log-sum-exp over `chunks`. `keepLogits` (allowed only with a single chunk) also returns
 * that chunk's logits, for the backward to reuse instead of recomputing.
 */
export function forwardStats(
  hidden: tf.Tensor2D, chunks: WeightChunk[], targets: tf.Tensor1D, wantEntropy: boolean, keepLogits = false,
): ForwardStats {
  if (keepLogits && chunks.length !== 1) throw new Error(`loss head: logits can be kept only for a single chunk, not ${chunks.length}`);
  let running: RunningStats | undefined;
  for (const chunk of chunks) {
    const next = foldChunk(running, hidden, chunk, targets, wantEntropy, keepLogits);
    disposeRunning(running);
    running = next;
  }
  // There is at least one chunk: the vocabulary is checked non-empty.
  const final = running!;
  const result = tf.tidy(() => {
    const logSumExp = tf.log(final.sumExp) as tf.Tensor1D;
    return {
      max: tf.clone(final.max),
      logSumExp,
      targetLogit: tf.clone(final.targetLogit),
      entropy: final.sumExpShifted === undefined ? undefined : tf.sub(logSumExp, tf.div(final.sumExpShifted, final.sumExp)) as tf.Tensor1D,
    };
  });
  disposeRunning(final);
  // Handed over as is (disposeRunning leaves it): a clone would be a second [N × V] copy.
  return final.logits === undefined ? result : { ...result, logits: final.logits };
}

/**
 * The single-chunk, ce-only forward through the backend's Softmax kernel: P = softmax(l) is what
 * the backward needs (dL/dl = gce ⊙ P − gce·onehot), so it is computed once here and kept instead of
 * the logits, and the log-sum-exp comes from it: the largest probability is e^(m − m)/s = 1/s, so
 * log s = −log max_v P_v, exact to a rounding of 1/s (s ∈ [1, V], no underflow). On wasm the
 * Softmax kernel is XNNPACK's vectorised one, while Exp is a scalar loop: this replaces the two
 * [N × V] Sub + Exp passes (forward and backward) and the Sum with one Softmax and one Max
 * (measured on the `small` bench step: 90 ms of Exp CPU time).
 */
export function forwardStatsSoftmax(hidden: tf.Tensor2D, chunk: WeightChunk, targets: tf.Tensor1D): ForwardStats & { probs: tf.Tensor2D } {
  return tf.tidy(() => {
    const logits = tf.matMul(hidden, chunk.rowsT) as tf.Tensor2D;
    const max = tf.max(logits, 1) as tf.Tensor1D;
    const targetLogit = targetLogitInChunk(logits, targets, chunk.start, chunk.size);
    const probs = freeing(tf.softmax(logits) as tf.Tensor2D, logits);
    const logSumExp = tf.neg(tf.log(tf.max(probs, 1))) as tf.Tensor1D;
    return { max, logSumExp, targetLogit, probs };
  });
}
