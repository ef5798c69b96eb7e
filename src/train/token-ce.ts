// Per-token cross-entropy on the plain logits path: ce[b,t] = logsumexp(logits[b,t,:]) − logits[b,t,y].
// The fused head of src/head/ computes the same from hidden states without materialising the
// logits; this is the unfused reference path and what the trainer uses for models without it.
import * as tf from '@tensorflow/tfjs';

/** ce [batch, seq] from logits [batch, seq, vocab] and int32 targets [batch, seq]. Differentiable. */
export function tokenCe(logits: tf.Tensor3D, targets: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const vocab = logits.shape[2];
    // The one-hot product is differentiable on every backend (gather with batch dims has no gradient in tfjs).
    const picked = tf.sum(tf.mul(logits, tf.oneHot(targets, vocab, 1, 0, 'float32')), -1);
    return tf.sub(tf.logSumExp(logits, -1), picked) as tf.Tensor2D;
  });
}

/** Token mean of `values` over positions where `mask` is 1; 0 when the mask is empty. */
export function maskedMean(values: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.div(tf.sum(tf.mul(values, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar);
}

/**
 * Plain-loop reference of tokenCe and of its gradient with respect to the logits for an upstream
 * gradient of 1 at every position (softmax − onehot), for tests. Arrays are row-major.
 */
export function tokenCeReference(
  logits: Float32Array | number[],
  targets: Int32Array | number[],
  batch: number,
  seq: number,
  vocab: number,
): { ce: Float64Array; grad: Float64Array } {
  const ce = new Float64Array(batch * seq);
  const grad = new Float64Array(batch * seq * vocab);
  for (let i = 0; i < batch * seq; i++) {
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) max = Math.max(max, logits[i * vocab + v]!);
    let sum = 0;
    for (let v = 0; v < vocab; v++) sum += Math.exp(logits[i * vocab + v]! - max);
    const lse = max + Math.log(sum);
    const y = targets[i]!;
    ce[i] = lse - logits[i * vocab + y]!;
    for (let v = 0; v < vocab; v++) grad[i * vocab + v] = Math.exp(logits[i * vocab + v]! - lse) - (v === y ? 1 : 0);
  }
  return { ce, grad };
}
