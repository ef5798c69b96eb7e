// Rotary position embeddings in the Hugging Face "rotate_half" convention (LlamaRotaryEmbedding):
// the head dimension is split in two halves (not interleaved pairs), inv_freq_i = θ^(-2i/d), and
//   q' = q·cos + rotate_half(q)·sin,  rotate_half([x1, x2]) = [-x2, x1].
import * as tf from '@tensorflow/tfjs';

/** cos and sin tables [seq, dim] for positions 0..seq-1; computed in float64, then stored as float32. */
export function ropeTables(seq: number, dim: number, theta: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const { cos, sin } = ropeTableValues(seq, dim, theta);
  return { cos: tf.tensor2d(cos, [seq, dim]), sin: tf.tensor2d(sin, [seq, dim]) };
}

/** The tables' values, row-major [seq, dim] (the native trunk uses them on the host). */
export function ropeTableValues(seq: number, dim: number, theta: number): { cos: Float32Array; sin: Float32Array } {
  const half = dim / 2;
  const cos = new Float32Array(seq * dim);
  const sin = new Float32Array(seq * dim);
  for (let p = 0; p < seq; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * Math.pow(theta, (-2 * i) / dim);
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      cos[p * dim + i] = c;
      cos[p * dim + i + half] = c;
      sin[p * dim + i] = s;
      sin[p * dim + i + half] = s;
    }
  }
  return { cos, sin };
}

/** Applies the rotation to x [batch, heads, seq, dim]. */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  const half = x.shape[3] / 2;
  const [x1, x2] = tf.split(x, [half, half], 3);
  const rotated = tf.concat([tf.neg(x2!), x1!], 3);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin)) as tf.Tensor4D;
}
