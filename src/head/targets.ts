// Target handling shared by both heads.
//
// Padding targets (−100 ignore-index, or any id ≥ vocab) must not index out of range in gather or
// produce NaN: both heads clamp them into [0, vocab) the same way, and the caller's zero upstream
// weight then removes their contribution from the loss and the gradients.
import * as tf from '@tensorflow/tfjs';

export function clampTargets(targets: tf.Tensor1D, vocab: number): tf.Tensor1D {
  return clampInt(targets, 0, vocab - 1);
}

/**
 * min(max(x, low), high) for int32 tensors. Not tf.clipByValue: the wasm backend's ClipByValue reads
 * its input as float32, which turns int32 indices into garbage (GatherV2 then rejects them).
 */
export function clampInt(x: tf.Tensor1D, low: number, high: number): tf.Tensor1D {
  return tf.tidy(() => tf.minimum(tf.maximum(x, tf.scalar(low, 'int32')), tf.scalar(high, 'int32')));
}

/**
 * The one-hot rows of `targets` restricted to vocabulary entries [start, start + size): float32
 * [N, size], an all-zero row for a token whose target lies outside the slice. Built by comparison
 * rather than tf.oneHot, which refuses a depth of 1 (a chunk of one vocabulary entry).
 */
export function targetIndicator(targets: tf.Tensor1D, start: number, size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const ids = tf.expandDims(tf.range(start, start + size, 1, 'int32'), 0);
    return tf.cast(tf.equal(tf.expandDims(targets, 1), ids), 'float32') as tf.Tensor2D;
  });
}
