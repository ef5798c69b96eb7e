// The plain, unfused head: full [N, V] logits, logSoftmax, one-hot target pick, entropy from the
// full softmax. Differentiated by tfjs's own gradients. The tests' unfused reference for the fused
// head (production always uses the fused one, src/head/fused-ce.ts); plain-loops.ts checks both.
//
// The target is picked with a one-hot product (the classic unfused formulation) rather than gather(batchDims = 1): tfjs's gradient
// of a batched gather splits the batch into one op per token, which is unusably slow at N = 2048.
import * as tf from '@tensorflow/tfjs';
import type { TokenStats } from './fused-ce.js';
import { clampTargets, targetIndicator } from './targets.js';
import { checkHeadArguments } from './validate.js';

export function referenceTokenStats(
  hidden: tf.Tensor2D, weight: tf.Tensor2D, targets: tf.Tensor1D, options: { entropy?: boolean } = {},
): TokenStats {
  const { vocab } = checkHeadArguments(hidden, weight, targets);
  return tf.tidy(() => {
    const logits = tf.matMul(hidden, tf.transpose(weight));
    const logProbs = tf.logSoftmax(logits);
    const oneHot = targetIndicator(clampTargets(targets, vocab), 0, vocab);
    const ce = tf.neg(tf.sum(tf.mul(logProbs, oneHot), 1)) as tf.Tensor1D;
    if (options.entropy !== true) return { ce };
    const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logProbs), logProbs), 1)) as tf.Tensor1D;
    return { ce, entropy };
  });
}
