// Building blocks shared by gpt2.ts and llama.ts, in plain tfjs ops. Matrix products use tf.matMul
// with an explicit tf.transpose instead of the transposeA/transposeB flags: the wasm backend's
// transposed matMul is 10-20x slower than a transpose followed by a plain one.
import * as tf from '@tensorflow/tfjs';

/** x [..., in] × w [in, out] (+ b [out]); the GPT-2 Conv1D layout. */
export function linearInOut(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const inDim = w.shape[0];
  const outDim = w.shape[1];
  const lead = x.shape.slice(0, -1);
  let y: tf.Tensor = tf.matMul(tf.reshape(x, [-1, inDim]) as tf.Tensor2D, w);
  if (b !== undefined) y = tf.add(y, b);
  return tf.reshape(y, [...lead, outDim]);
}

/** x [..., in] × wᵀ for w [out, in]; the torch nn.Linear layout (llama). */
export function linearOutIn(x: tf.Tensor, w: tf.Tensor2D): tf.Tensor {
  return linearInOut(x, tf.transpose(w) as tf.Tensor2D);
}

export function layerNorm(x: tf.Tensor, weight: tf.Tensor1D, bias: tf.Tensor1D, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), weight), bias);
}

/** HF LlamaRMSNorm: x / sqrt(mean(x²) + eps) · weight. */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor1D, eps: number): tf.Tensor {
  const meanSquare = tf.mean(tf.square(x), -1, true);
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight);
}

/**
 * gelu_new / gelu_pytorch_tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as the
 * identical x·sigmoid(2·√(2/π)·x·(1 + 0.044715·x²)) (since (1 + tanh u)/2 = sigmoid(2u)): five
 * element-wise kernels instead of nine, and wasm's Sigmoid is XNNPACK's vectorised one while its
 * Tanh is a scalar loop.
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  const c = 2 * Math.sqrt(2 / Math.PI);
  // x·x² rather than pow(x, 3): Pow is slow on wasm and its gradient also differentiates the exponent.
  const inner = tf.mul(x, tf.add(c, tf.mul(c * 0.044715, tf.square(x))));
  return tf.mul(x, tf.sigmoid(inner));
}

/** The exact GELU: 0.5·x·(1 + erf(x/√2)); HF's "gelu". */
export function geluErf(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** [batch, seq, heads·dim] → [batch, heads, seq, dim]. */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor4D {
  const [batch, seq, width] = x.shape as [number, number, number];
  return tf.transpose(tf.reshape(x, [batch, seq, heads, width / heads]), [0, 2, 1, 3]) as tf.Tensor4D;
}

/** [batch, heads, seq, dim] → [batch, seq, heads·dim]. */
export function mergeHeads(x: tf.Tensor4D): tf.Tensor3D {
  const [batch, heads, seq, dim] = x.shape;
  return tf.reshape(tf.transpose(x, [0, 2, 1, 3]), [batch, seq, heads * dim]) as tf.Tensor3D;
}

/**
 * The additive causal mask [rep·seq, seq]: row r·seq + i may see columns j ≤ i. -1e9 above the
 * diagonal makes exp underflow to exactly 0. `rep` stacks copies for grouped-query attention.
 */
export function causalBias(seq: number, rep = 1): tf.Tensor2D {
  const values = new Float32Array(rep * seq * seq);
  for (let r = 0; r < rep; r++) {
    for (let i = 0; i < seq; i++) for (let j = i + 1; j < seq; j++) values[(r * seq + i) * seq + j] = -1e9;
  }
  return tf.tensor2d(values, [rep * seq, seq]);
}

/**
 * softmax(q·kᵀ/√d + causal)·v for q [batch, heads, seq, dim] and k, v [batch, kvHeads, seq, dim]
 * (grouped-query attention when kvHeads < heads; query head h uses kv head ⌊h / rep⌋, as HF repeat_kv).
 * The query heads sharing a kv head are stacked along the sequence axis ([batch, kvHeads, rep·seq, dim]),
 * which is a free reshape, so k and v are never repeated: repeating them costs a Tile each way,
 * slow on wasm, and tfjs's Tile gradient stops at rank 4.
 */
export function causalAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D {
  const [batch, heads, seq, dim] = q.shape;
  const kvHeads = k.shape[1];
  const rep = heads / kvHeads;
  const grouped = tf.reshape(q, [batch, kvHeads, rep * seq, dim]);
  const scores = tf.mul(tf.matMul(grouped, tf.transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(dim));
  const probs = tf.softmax(tf.add(scores, causalBias(seq, rep)), -1);
  return tf.reshape(tf.matMul(probs, v), [batch, heads, seq, dim]) as tf.Tensor4D;
}

/** hidden [batch, seq, h] × embeddingᵀ, embedding [vocab, h] → [batch, seq, vocab]. */
export function projectToVocab(hidden: tf.Tensor3D, embedding: tf.Tensor2D): tf.Tensor3D {
  const [batch, seq, width] = hidden.shape;
  const flat = tf.reshape(hidden, [batch * seq, width]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(flat, tf.transpose(embedding) as tf.Tensor2D), [batch, seq, embedding.shape[0]]) as tf.Tensor3D;
}
