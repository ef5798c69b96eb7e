// Backward pass of the fused head: dL/dhidden and dL/dweight from the upstream weights on ce and
// entropy, recomputing each chunk's logits from the saved max and log-sum-exp (nothing [N × V] is
// kept between the passes). With logp = (l − m) − log s and p = e^logp:
//   d ce/dl = p − onehot(y),   d entropy/dl = −p ⊙ (logp + entropy),
// so dL/dl = p ⊙ (gce − gent·(logp + entropy)) − gce·onehot(y).
//
// The dense part p ⊙ (…) goes through the chunks; the one-hot part is sparse (one entry per token)
// and is applied once at the end: dL/dhidden −= gce ⊙ W[y] (a gather) and dL/dW[y] −= gce ⊙ h (a
// scatter-add). Materialising a one-hot chunk would cost four [N × chunk] passes for N non-zeros.
//
// dWᵀ is built chunk by chunk as hᵀ·(dL/dl) [H, chunk] and transposed once at the end ([V, H]), which
// avoids transposing every [N × chunk] logits gradient (N is usually several times H).
//
// The ce-only path (the common one) does two [N × chunk] passes per chunk besides the three matMuls,
// P = exp(l − log Z): gce, a per-token (row) factor, is applied to the [N, H] results and to hidden
// instead of to P (dH = gce ⊙ Σ P·W[c], dWᵀ = (gce ⊙ h)ᵀ·P). On wasm an exp over [N × chunk] costs
// about a quarter of the chunk's logits matMul, so elementwise passes matter. The relative error of
// ulp(log Z) ≈ 5e-6 (logits of 80) in P is an absolute one of at most 5e-6 in p − onehot.
//
// The entropy path forms logp + entropy as (l − m) + (entropy − log s) so that the ulp of m (≈ 5e-6
// at logits of 80) never enters: that term is near 0 for the likely tokens, and an absolute error
// there is the whole entropy gradient.
//
// [N × chunk] intermediates are freed as soon as their successor exists: at most three are alive.
//
// Single chunk (chunk ≥ V): the forward may hand over its logits (savedLogits), and both paths use
// them instead of recomputing h·Wᵀ, which saves one of the backward's three matMuls. The values are
// bit-identical to the recomputed ones (the same matMul on the same operands).
import * as tf from '@tensorflow/tfjs';
import { freeing, type WeightChunk } from './chunks.js';

export interface BackwardInputs {
  hidden: tf.Tensor2D;
  weight: tf.Tensor2D;
  /**
   * The forward pass's weight chunks, reused and disposed here as soon as each is done with: they
   * are the custom gradient's saved tensors, needed by nothing else (tfjs disposes saved tensors
   * after the gradient too; a second dispose is a no-op), and freeing them early keeps 2·V·H floats
   * out of the peak at the end of the pass.
   */
  chunks: WeightChunk[];
  /**
   * The forward's logits when there is a single chunk, used instead of recomputing them and disposed
   * as soon as they are used (like the chunks). Must be absent with more than one chunk.
   */
  savedLogits?: tf.Tensor2D;
  /**
   * The forward's softmax when there is a single chunk and no entropy (forwardStatsSoftmax): the
   * ce path's P itself, used as is and disposed once used. Must be absent with more than one chunk.
   */
  savedProbs?: tf.Tensor2D;
  /** Already clamped into [0, V). */
  targets: tf.Tensor1D;
  max: tf.Tensor1D;
  logSumExp: tf.Tensor1D;
  /** Required when entropyGrad is given. */
  entropy?: tf.Tensor1D;
  ceGrad: tf.Tensor1D;
  entropyGrad?: tf.Tensor1D;
}

/** What the chunk loop needs for one of the two paths. */
interface Path {
  /** The dense part of dL/dlogits of a chunk, up to a per-token factor applied later, [N, size]. */
  softGrad(chunk: WeightChunk): tf.Tensor2D;
  /** [H, N]: dWᵀ of a chunk is leftT · softGrad. */
  leftT: tf.Tensor2D;
  /** [N, 1] factor of every row of the dense dL/dhidden; undefined = 1. */
  denseRowScale?: tf.Tensor2D;
  dispose(): void;
}

/** The chunk's logits: the forward's, if it kept them (single chunk), else recomputed. */
function chunkLogits(b: BackwardInputs, chunk: WeightChunk): tf.Tensor2D {
  return b.savedLogits ?? tf.matMul(b.hidden, chunk.rowsT) as tf.Tensor2D;
}

/** ce only: dL/dl = gce ⊙ P − gce·onehot, with P = exp(l − log Z). */
function cePath(b: BackwardInputs): Path {
  const prepared = tf.tidy(() => {
    const gce = tf.expandDims(b.ceGrad, 1) as tf.Tensor2D;
    return {
      gce,
      logPartition: tf.expandDims(tf.add(b.max, b.logSumExp), 1) as tf.Tensor2D,
      scaledHiddenT: tf.transpose(tf.mul(gce, b.hidden)) as tf.Tensor2D,
    };
  });
  return {
    softGrad: (chunk) => b.savedProbs ?? tf.tidy(() => {
      const logits = chunkLogits(b, chunk);
      const logp = freeing(tf.sub(logits, prepared.logPartition), logits);
      return freeing(tf.exp(logp) as tf.Tensor2D, logp);
    }),
    leftT: prepared.scaledHiddenT,
    denseRowScale: prepared.gce,
    dispose: () => tf.dispose([prepared.gce, prepared.logPartition, prepared.scaledHiddenT]),
  };
}

/** With entropy: dL/dl = P ⊙ (gce − gent·(logp + entropy)) − gce·onehot. */
function entropyPath(b: BackwardInputs, entropy: tf.Tensor1D, entropyGrad: tf.Tensor1D): Path {
  const c = tf.tidy(() => {
    const column = (x: tf.Tensor1D) => tf.expandDims(x, 1) as tf.Tensor2D;
    return {
      max: column(b.max),
      logSumExp: column(b.logSumExp),
      gce: column(b.ceGrad),
      gent: column(entropyGrad),
      entropyMinusLogSumExp: column(tf.sub(entropy, b.logSumExp)),
      hiddenT: tf.transpose(b.hidden) as tf.Tensor2D,
    };
  });
  return {
    softGrad: (chunk) => tf.tidy(() => {
      const logits = chunkLogits(b, chunk);
      const shifted = freeing(tf.sub(logits, c.max), logits);
      const logp = tf.sub(shifted, c.logSumExp);
      const p = freeing(tf.exp(logp), logp);
      const logpPlusEntropy = freeing(tf.add(shifted, c.entropyMinusLogSumExp), shifted);
      const scaled = freeing(tf.mul(logpPlusEntropy, c.gent), logpPlusEntropy);
      const coefficient = freeing(tf.sub(c.gce, scaled), scaled);
      return freeing(tf.mul(p, coefficient) as tf.Tensor2D, p, coefficient);
    }),
    leftT: c.hiddenT,
    dispose: () => tf.dispose([c.max, c.logSumExp, c.gce, c.gent, c.entropyMinusLogSumExp, c.hiddenT]),
  };
}

export function backward(b: BackwardInputs): [tf.Tensor2D, tf.Tensor2D] {
  const [tokens, width] = b.hidden.shape;
  const vocab = b.weight.shape[0];
  if ((b.savedLogits !== undefined || b.savedProbs !== undefined) && b.chunks.length !== 1) {
    throw new Error(`loss head: saved logits or probabilities need a single chunk, not ${b.chunks.length}`);
  }
  if (b.savedProbs !== undefined && b.entropyGrad !== undefined) throw new Error('loss head: saved probabilities serve the ce-only path, not the entropy');
  const path = b.entropyGrad === undefined || b.entropy === undefined ? cePath(b) : entropyPath(b, b.entropy, b.entropyGrad);
  let denseHiddenGrad: tf.Tensor2D = tf.zeros([tokens, width]);
  const weightGradTChunks: tf.Tensor2D[] = [];
  for (const chunk of b.chunks) {
    const next = tf.tidy(() => {
      const softGrad = path.softGrad(chunk);
      const hiddenGradChunk = tf.matMul(softGrad, chunk.rows);
      const weightGradT = freeing(tf.matMul(path.leftT, softGrad) as tf.Tensor2D, softGrad);
      return { weightGradT, hiddenGrad: tf.add(denseHiddenGrad, hiddenGradChunk) as tf.Tensor2D };
    });
    denseHiddenGrad.dispose();
    denseHiddenGrad = next.hiddenGrad;
    weightGradTChunks.push(next.weightGradT);
    tf.dispose([chunk.rows, chunk.rowsT]);
  }

  const denseWeightGradT = weightGradTChunks.length === 1 ? weightGradTChunks[0]! : freeing(tf.concat(weightGradTChunks, 1), ...weightGradTChunks);
  const denseWeightGrad = freeing(tf.transpose(denseWeightGradT) as tf.Tensor2D, denseWeightGradT);
  const grads = tf.tidy(() => {
    const gce = tf.expandDims(b.ceGrad, 1);
    const scaledDense = path.denseRowScale === undefined ? denseHiddenGrad : tf.mul(path.denseRowScale, denseHiddenGrad);
    const hiddenGrad = tf.sub(scaledDense, tf.mul(gce, tf.gather(b.weight, b.targets))) as tf.Tensor2D;
    // The one-hot part of dW: scatterND sums rows with the same target (checked on cpu and wasm).
    const oneHotWeightGrad = tf.scatterND(tf.expandDims(b.targets, 1), tf.mul(gce, b.hidden), [vocab, width]);
    const weightGrad = freeing(tf.sub(denseWeightGrad, oneHotWeightGrad) as tf.Tensor2D, denseWeightGrad, oneHotWeightGrad);
    return [hiddenGrad, weightGrad] as [tf.Tensor2D, tf.Tensor2D];
  });
  denseHiddenGrad.dispose();
  path.dispose();
  return grads;
}
