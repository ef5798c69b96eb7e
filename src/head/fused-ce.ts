// The fused, chunked linear + cross-entropy head: per-token ce (and entropy) of softmax(h·Wᵀ)
// without ever holding the [tokens × vocab] logits, softmax or one-hot.
//
// Why chunk over the vocabulary (not over tokens): each vocabulary slice W[c] produces the logits
// of all tokens for those entries, so the backward writes dW[c] exactly once (no [V, H]-sized
// accumulation across chunks) and only the small dL/dhidden [N, H] is summed over chunks. The
// forward keeps an online log-sum-exp per token (running max m, Σ e^(l−m), and for the entropy
// Σ e^(l−m)·(l−m)), so peak extra memory is a few [N × chunk] tensors. The backward saves only
// [N]-sized statistics and recomputes each chunk's logits (one extra matMul) instead of storing them.
//
// All matMuls take explicitly transposed operands (tf.transpose first) instead of the
// transposeA/transposeB flags: on the wasm backend the flagged paths are 10–20x slower.
import * as tf from '@tensorflow/tfjs';
import { checkChunkSize, checkHeadArguments } from './validate.js';
import { clampInt, clampTargets, targetIndicator } from './targets.js';

export interface TokenStatsOptions {
  /** Vocabulary entries per chunk; 1 works, and ≥ vocab means a single chunk. */
  chunkSize: number;
  /** Also return the predictive entropy of each token's distribution. */
  entropy?: boolean;
}

export interface TokenStats {
  /** −log softmax(h_t·Wᵀ)[y_t], [N]. */
  ce: tf.Tensor1D;
  /** −Σ_v p_v log p_v, [N]; present when options.entropy. */
  entropy?: tf.Tensor1D;
}

/** Half-open vocabulary ranges [start, start + size) covering 0..vocab. */
export function vocabChunks(vocab: number, chunkSize: number): Array<{ start: number; size: number }> {
  const chunks: Array<{ start: number; size: number }> = [];
  for (let start = 0; start < vocab; start += chunkSize) chunks.push({ start, size: Math.min(chunkSize, vocab - start) });
  return chunks;
}

/** logits of all tokens for vocabulary rows [start, start+size): hidden [N,H] × W[c]ᵀ [H,size]. */
function chunkLogits(hidden: tf.Tensor2D, weight: tf.Tensor2D, start: number, size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const width = weight.shape[1];
    const rows = tf.slice(weight, [start, 0], [size, width]);
    return tf.matMul(hidden, tf.transpose(rows));
  });
}

/** Per-token statistics of the forward pass, all [N]. */
interface ForwardStats {
  /** log Σ_v e^(l_v): the log-partition. */
  logPartition: tf.Tensor1D;
  /** logit of the (clamped) target. */
  targetLogit: tf.Tensor1D;
  /** present when asked for. */
  entropy?: tf.Tensor1D;
}

/**
 * Online log-sum-exp over vocabulary chunks. State per token: m (running max), s = Σ e^(l−m),
 * u = Σ e^(l−m)·(l−m) (≤ 0). When the max moves from m to m' (δ = m − m' ≤ 0) the old sums
 * rescale by e^δ and each old (l−m) becomes (l−m)+δ, so u' = e^δ·(u + δ·s) + Σ_chunk. Keeping u
 * relative to the max (rather than Σ p·l) avoids cancellation: the entropy log s − u/s is then a
 * difference of small numbers even when the logits are ±80.
 */
function forwardStats(
  hidden: tf.Tensor2D, weight: tf.Tensor2D, targets: tf.Tensor1D, chunkSize: number, wantEntropy: boolean,
): ForwardStats {
  const tokens = hidden.shape[0];
  let max: tf.Tensor1D | undefined;
  let sumExp: tf.Tensor1D = tf.zeros([tokens]);
  let sumExpShifted: tf.Tensor1D = tf.zeros([tokens]);
  let targetLogit: tf.Tensor1D = tf.zeros([tokens]);
  for (const { start, size } of vocabChunks(weight.shape[0], chunkSize)) {
    const next = tf.tidy(() => {
      const logits = chunkLogits(hidden, weight, start, size);
      const chunkMax = tf.max(logits, 1) as tf.Tensor1D;
      const newMax = max === undefined ? chunkMax : tf.maximum(max, chunkMax);
      const shifted = tf.sub(logits, tf.expandDims(newMax, 1));
      const exps = tf.exp(shifted);
      const chunkSum = tf.sum(exps, 1);
      let s: tf.Tensor1D = chunkSum as tf.Tensor1D;
      let u: tf.Tensor1D | undefined;
      if (max === undefined) {
        if (wantEntropy) u = tf.sum(tf.mul(exps, shifted), 1) as tf.Tensor1D;
      } else {
        const delta = tf.sub(max, newMax);
        const scale = tf.exp(delta);
        s = tf.add(tf.mul(sumExp, scale), chunkSum);
        if (wantEntropy) {
          u = tf.add(tf.mul(scale, tf.add(sumExpShifted, tf.mul(delta, sumExp))), tf.sum(tf.mul(exps, shifted), 1)) as tf.Tensor1D;
        }
      }
      // The target's logit comes from the same logits tensor as the max, so ce = m + log s − z ≥ 0.
      const local = tf.sub(targets, tf.scalar(start, 'int32')) as tf.Tensor1D;
      const inChunk = tf.logicalAnd(tf.greaterEqual(local, 0), tf.less(local, size));
      // A flat gather at row·size + column: gather with batchDims = 1 returns wrong rows on wasm.
      const flatIndex = tf.add(tf.mul(tf.range(0, tokens, 1, 'int32'), tf.scalar(size, 'int32')), clampInt(local, 0, size - 1));
      const gathered = tf.gather(tf.reshape(logits, [tokens * size]), flatIndex);
      const z = tf.add(targetLogit, tf.where(inChunk, gathered, tf.zerosLike(gathered))) as tf.Tensor1D;
      return { m: newMax as tf.Tensor1D, s, u: u ?? tf.zeros([tokens]) as tf.Tensor1D, z };
    });
    max?.dispose();
    sumExp.dispose();
    sumExpShifted.dispose();
    targetLogit.dispose();
    max = next.m;
    sumExp = next.s;
    sumExpShifted = next.u;
    targetLogit = next.z;
  }
  const result = tf.tidy(() => {
    const logS = tf.log(sumExp);
    const logPartition = tf.add(max!, logS) as tf.Tensor1D;
    const entropy = wantEntropy ? tf.sub(logS, tf.div(sumExpShifted, sumExp)) as tf.Tensor1D : undefined;
    return { logPartition, entropy };
  });
  max!.dispose();
  sumExp.dispose();
  sumExpShifted.dispose();
  return { logPartition: result.logPartition, targetLogit, entropy: result.entropy };
}

/**
 * dL/dhidden and dL/dweight from the upstream weights on ce and entropy, recomputing each chunk's
 * logits. With logp = l − logZ and p = e^logp:
 *   d ce/dl = p − onehot(y),   d entropy/dl = −p ⊙ (logp + entropy),
 * so dL/dl = p ⊙ (gce − gent·(logp + entropy)) − gce·onehot(y).
 */
function backward(
  hidden: tf.Tensor2D, weight: tf.Tensor2D, targets: tf.Tensor1D, logPartition: tf.Tensor1D,
  entropy: tf.Tensor1D | undefined, ceGrad: tf.Tensor1D, entropyGrad: tf.Tensor1D | undefined, chunkSize: number,
): [tf.Tensor2D, tf.Tensor2D] {
  const width = hidden.shape[1];
  let hiddenGrad: tf.Tensor2D = tf.zerosLike(hidden);
  const weightGradChunks: tf.Tensor2D[] = [];
  const columns = tf.tidy(() => ({
    logZ: tf.expandDims(logPartition, 1) as tf.Tensor2D,
    gce: tf.expandDims(ceGrad, 1) as tf.Tensor2D,
    gent: entropyGrad === undefined ? undefined : tf.expandDims(entropyGrad, 1) as tf.Tensor2D,
    ent: entropy === undefined ? undefined : tf.expandDims(entropy, 1) as tf.Tensor2D,
  }));
  for (const { start, size } of vocabChunks(weight.shape[0], chunkSize)) {
    const next = tf.tidy(() => {
      const logits = chunkLogits(hidden, weight, start, size);
      const logp = tf.sub(logits, columns.logZ);
      const p = tf.exp(logp);
      const coefficient = columns.gent !== undefined && columns.ent !== undefined
        ? tf.sub(columns.gce, tf.mul(columns.gent, tf.add(logp, columns.ent)))
        : columns.gce;
      const oneHot = targetIndicator(targets, start, size);
      const logitsGrad = tf.sub(tf.mul(p, coefficient), tf.mul(oneHot, columns.gce)) as tf.Tensor2D;
      const rows = tf.slice(weight, [start, 0], [size, width]);
      const weightGrad = tf.matMul(tf.transpose(logitsGrad), hidden) as tf.Tensor2D;
      const newHiddenGrad = tf.add(hiddenGrad, tf.matMul(logitsGrad, rows)) as tf.Tensor2D;
      return { weightGrad, newHiddenGrad };
    });
    hiddenGrad.dispose();
    hiddenGrad = next.newHiddenGrad;
    weightGradChunks.push(next.weightGrad);
  }
  tf.dispose(columns);
  const weightGrad = weightGradChunks.length === 1 ? weightGradChunks[0]! : tf.concat(weightGradChunks, 0);
  if (weightGradChunks.length > 1) tf.dispose(weightGradChunks);
  return [hiddenGrad, weightGrad];
}

/**
 * Per-token cross-entropy (and optionally entropy) of softmax(hidden · weightᵀ), chunked over the
 * vocabulary, differentiable in hidden and weight through a custom gradient.
 *
 * Masking is the caller's: give masked tokens upstream weight 0. Targets outside [0, vocab) (padding
 * such as −100) are clamped into range, so they yield a finite, meaningless ce and contribute
 * nothing when their upstream weight is 0.
 */
export function tokenStats(
  hidden: tf.Tensor2D, weight: tf.Tensor2D, targets: tf.Tensor1D, options: TokenStatsOptions,
): TokenStats {
  const { tokens, vocab } = checkHeadArguments(hidden, weight, targets);
  checkChunkSize(options.chunkSize);
  const wantEntropy = options.entropy === true;
  const chunkSize = Math.min(options.chunkSize, vocab);

  const fused = tf.customGrad((h: tf.Tensor | tf.GradSaveFunc, w: tf.Tensor | tf.GradSaveFunc,
    y: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const hiddenIn = h as tf.Tensor2D;
    const weightIn = w as tf.Tensor2D;
    const safeTargets = clampTargets(y as tf.Tensor1D, vocab);
    const stats = forwardStats(hiddenIn, weightIn, safeTargets, chunkSize, wantEntropy);
    const ce = tf.sub(stats.logPartition, stats.targetLogit) as tf.Tensor1D;
    // Saved: the inputs (shared, not copied) and [N]-sized statistics; the logits are recomputed.
    const saved: tf.Tensor[] = [hiddenIn, weightIn, safeTargets, stats.logPartition];
    if (stats.entropy !== undefined) saved.push(stats.entropy);
    (save as tf.GradSaveFunc)(saved);
    const value = stats.entropy === undefined ? ce : tf.stack([ce, stats.entropy]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const [hs, ws, ys, logZ, ent] = kept as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D | undefined];
        const grads = tf.tidy(() => {
          const ceGrad = (wantEntropy ? tf.reshape(tf.slice(dy, [0, 0], [1, tokens]), [tokens]) : dy) as tf.Tensor1D;
          const entropyGrad = wantEntropy ? tf.reshape(tf.slice(dy, [1, 0], [1, tokens]), [tokens]) as tf.Tensor1D : undefined;
          return backward(hs, ws, ys, logZ, ent, ceGrad, entropyGrad, chunkSize);
        });
        // targets are integers: their "gradient" is zero, but tfjs wants a float32 tensor per input.
        return [grads[0], grads[1], tf.zeros([tokens])];
      },
    };
  });

  return tf.tidy(() => {
    const value = fused(hidden, weight, targets);
    if (!wantEntropy) return { ce: value as tf.Tensor1D };
    const [ce, entropy] = tf.unstack(value) as [tf.Tensor1D, tf.Tensor1D];
    return { ce, entropy };
  });
}
