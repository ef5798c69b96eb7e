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
 * [N, size], an all-zero row for a token whose target lies outside the slice (tf.oneHot leaves
 * out-of-range indices all zero on cpu and wasm; the tests cover both). tf.oneHot refuses a depth of
 * 1, so a one-entry chunk compares instead; the comparison is not used in general because a
 * broadcast int32 Equal is ~50x slower than OneHot on wasm (560 ms against 10 ms at 512 × 2048).
 */
export function targetIndicator(targets: tf.Tensor1D, start: number, size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const local = start === 0 ? targets : tf.sub(targets, tf.scalar(start, 'int32'));
    // int32 then cast: asked for float32 directly, the wasm OneHot kernel writes int32 bit patterns
    // (1 reads back as 1.4e-45).
    if (size >= 2) return tf.cast(tf.oneHot(local, size), 'float32') as tf.Tensor2D;
    return tf.cast(tf.expandDims(tf.equal(local, tf.scalar(0, 'int32')), 1), 'float32') as tf.Tensor2D;
  });
}
