// The fused, chunked linear + cross-entropy head: per-token ce (and entropy) of softmax(h·Wᵀ)
// without ever holding the [tokens × vocab] logits, softmax or one-hot.
//
// Why chunk over the vocabulary (not over tokens): each vocabulary slice W[c] produces the logits
// of all tokens for those entries, so the backward writes dW[c] exactly once (no [V, H]-sized
// accumulation across chunks) and only the small dL/dhidden [N, H] is summed over chunks. The
// forward keeps an online log-sum-exp per token (running max m, Σ e^(l−m), and for the entropy
// Σ e^(l−m)·(l−m)), so peak extra memory is a few [N × chunk] tensors. Between the passes only
// [N]-sized statistics and the weight's chunks (V·H floats in two layouts) are kept; the backward
// recomputes each chunk's logits (one extra matMul) instead of storing them, except when the whole
// vocabulary is one chunk (chunk ≥ V): then the forward's [N × V] logits are kept for the backward,
// no more than the unfused path holds, and the recompute is skipped.
// Forward: chunk-forward.ts; backward: chunk-backward.ts; this file wires them into tf.customGrad.
//
// All matMuls take explicitly transposed operands (tf.transpose first) instead of the
// transposeA/transposeB flags: on the wasm backend the flagged paths are 10–20x slower.
import * as tf from '@tensorflow/tfjs';
import { backward } from './chunk-backward.js';
import { forwardStats, forwardStatsSoftmax } from './chunk-forward.js';
import { chunksFromTensors, chunkTensors, sliceWeight } from './chunks.js';
import { blasOnHeap } from '../backend/simd/module.js';
import { nativeTokenCe } from './native-ce.js';
import { clampTargets } from './targets.js';
import { checkChunkSize, checkHeadArguments } from './validate.js';

export { vocabChunks } from './chunks.js';

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
  // One chunk, ce only, on wasm with a BLAS: the native head (native-ce.ts) holds the same buffer.
  // (The tfjs path below also when the wasm heap cannot hold the native head's buffer.)
  const native = !wantEntropy && chunkSize === vocab && tokens > 0 && hidden.dtype === 'float32' ? blasOnHeap() : undefined;
  const nativeCe = native === undefined ? undefined : nativeTokenCe(hidden, weight, targets, native);
  if (nativeCe !== undefined) return { ce: nativeCe };

  const fused = tf.customGrad((h: tf.Tensor | tf.GradSaveFunc, w: tf.Tensor | tf.GradSaveFunc,
    y: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const hiddenIn = h as tf.Tensor2D;
    const weightIn = w as tf.Tensor2D;
    const safeTargets = clampTargets(y as tf.Tensor1D, vocab);
    const chunks = sliceWeight(weightIn, chunkSize);
    const singleChunk = chunks.length === 1;
    // One chunk and no entropy (the common training case): softmax once, kept for the backward.
    const viaSoftmax = singleChunk && !wantEntropy;
    const stats = viaSoftmax ? forwardStatsSoftmax(hiddenIn, chunks[0]!, safeTargets) : forwardStats(hiddenIn, chunks, safeTargets, wantEntropy, singleChunk);
    // (m − z) + log s, not (m + log s) − z: exact for a confident correct prediction (ce ≈ 0), and
    // ≥ 0 since z is one of the logits whose max is m.
    const ce = tf.add(tf.sub(stats.max, stats.targetLogit), stats.logSumExp) as tf.Tensor1D;
    // Saved: the inputs (shared, not copied), [N]-sized statistics (an empty placeholder for the
    // entropy when not asked for) and the weight chunks (2·V·H floats: slicing again costs more
    // than keeping them). For a single chunk the softmax (ce only) or the logits (with entropy) are
    // kept in one slot (an empty placeholder otherwise), and recomputed chunk by chunk otherwise.
    const saved: tf.Tensor[] = [hiddenIn, weightIn, safeTargets, stats.max, stats.logSumExp, stats.entropy ?? tf.zeros([0]),
      stats.probs ?? stats.logits ?? tf.zeros([0, 0]), ...chunkTensors(chunks)];
    (save as tf.GradSaveFunc)(saved);
    const value = stats.entropy === undefined ? ce : tf.stack([ce, stats.entropy]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, kept: tf.Tensor[]) => {
        const [hs, ws, ys, max, logSumExp, ent, logitsOrProbs, ...chunkList] = kept as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D, tf.Tensor2D, ...tf.Tensor2D[]];
        const grads = tf.tidy(() => {
          const ceGrad = (wantEntropy ? tf.reshape(tf.slice(dy, [0, 0], [1, tokens]), [tokens]) : dy) as tf.Tensor1D;
          const entropyGrad = wantEntropy ? tf.reshape(tf.slice(dy, [1, 0], [1, tokens]), [tokens]) as tf.Tensor1D : undefined;
          return backward({
            hidden: hs, weight: ws, chunks: chunksFromTensors(chunkList, vocab, chunkSize), targets: ys, max, logSumExp,
            entropy: wantEntropy ? ent : undefined, ceGrad, entropyGrad,
            savedLogits: singleChunk && !viaSoftmax ? logitsOrProbs : undefined, savedProbs: viaSoftmax ? logitsOrProbs : undefined,
          });
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
