// Vocabulary chunking shared by the fused head's forward and backward passes.
import * as tf from '@tensorflow/tfjs';

/** Half-open vocabulary ranges [start, start + size) covering 0..vocab. */
export function vocabChunks(vocab: number, chunkSize: number): Array<{ start: number; size: number }> {
  const chunks: Array<{ start: number; size: number }> = [];
  for (let start = 0; start < vocab; start += chunkSize) chunks.push({ start, size: Math.min(chunkSize, vocab - start) });
  return chunks;
}

/** The weight rows [start, start+size): [size, H]. */
export function weightRows(weight: tf.Tensor2D, start: number, size: number): tf.Tensor2D {
  return tf.slice(weight, [start, 0], [size, weight.shape[1]]);
}

/**
 * Logits of all tokens for vocabulary rows [start, start+size): hidden [N,H] × W[c]ᵀ [H,size]. The
 * transpose is explicit: matMul's transposeB flag is 10–20x slower on the wasm backend.
 */
export function chunkLogits(hidden: tf.Tensor2D, weight: tf.Tensor2D, start: number, size: number): tf.Tensor2D {
  return tf.tidy(() => tf.matMul(hidden, tf.transpose(weightRows(weight, start, size))));
}

/**
 * Returns `value` after disposing `used`: frees a big intermediate the moment its successor exists,
 * rather than at the end of the enclosing tidy, which is what bounds the head's peak memory.
 */
export function freeing<T extends tf.Tensor>(value: T, ...used: tf.Tensor[]): T {
  tf.dispose(used);
  return value;
}
