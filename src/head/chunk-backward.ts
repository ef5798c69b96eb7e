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
// The entropy path forms logp + entropy as (l − m) + (entropy − log s) so that the ulp of m (≈ 5e-6
// at logits of 80) never enters: that term is near 0 for the likely tokens, and an absolute error
// there is the whole entropy gradient. The ce-only path can afford p = e^(l − (m + log s)): a
// relative error of 5e-6 in p is an absolute one of at most 5e-6 in p − onehot.
//
// [N × chunk] intermediates are freed as soon as their successor exists: at most three are alive.
import * as tf from '@tensorflow/tfjs';
import { chunkLogits, freeing, vocabChunks, weightRows } from './chunks.js';

export interface BackwardInputs {
  hidden: tf.Tensor2D;
  weight: tf.Tensor2D;
  /** Already clamped into [0, V). */
  targets: tf.Tensor1D;
  max: tf.Tensor1D;
  logSumExp: tf.Tensor1D;
  /** Required when entropyGrad is given. */
  entropy?: tf.Tensor1D;
  ceGrad: tf.Tensor1D;
  entropyGrad?: tf.Tensor1D;
  chunkSize: number;
}

/** Per-token columns [N, 1], broadcast against a chunk's [N, size]. */
type Columns =
  | { kind: 'ce'; logPartition: tf.Tensor2D; gce: tf.Tensor2D }
  | { kind: 'entropy'; max: tf.Tensor2D; logSumExp: tf.Tensor2D; gce: tf.Tensor2D; gent: tf.Tensor2D; entropyMinusLogSumExp: tf.Tensor2D };

function makeColumns(b: BackwardInputs): Columns {
  return tf.tidy(() => {
    const column = (x: tf.Tensor1D) => tf.expandDims(x, 1) as tf.Tensor2D;
    if (b.entropyGrad === undefined || b.entropy === undefined) {
      return { kind: 'ce' as const, logPartition: column(tf.add(b.max, b.logSumExp)), gce: column(b.ceGrad) };
    }
    return {
      kind: 'entropy' as const,
      max: column(b.max),
      logSumExp: column(b.logSumExp),
      gce: column(b.ceGrad),
      gent: column(b.entropyGrad),
      entropyMinusLogSumExp: column(tf.sub(b.entropy, b.logSumExp)),
    };
  });
}

function disposeColumns(c: Columns): void {
  if (c.kind === 'ce') tf.dispose([c.logPartition, c.gce]);
  else tf.dispose([c.max, c.logSumExp, c.gce, c.gent, c.entropyMinusLogSumExp]);
}

/** The dense part of dL/dlogits of one chunk, p ⊙ (gce − gent·(logp + entropy)), [N, size]. */
function chunkSoftGrad(b: BackwardInputs, c: Columns, start: number, size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const logits = chunkLogits(b.hidden, b.weight, start, size);
    if (c.kind === 'ce') {
      const logp = freeing(tf.sub(logits, c.logPartition), logits);
      const p = freeing(tf.exp(logp), logp);
      return freeing(tf.mul(p, c.gce) as tf.Tensor2D, p);
    }
    const shifted = freeing(tf.sub(logits, c.max), logits);
    const logp = tf.sub(shifted, c.logSumExp);
    const p = freeing(tf.exp(logp), logp);
    const logpPlusEntropy = freeing(tf.add(shifted, c.entropyMinusLogSumExp), shifted);
    const scaled = freeing(tf.mul(logpPlusEntropy, c.gent), logpPlusEntropy);
    const coefficient = freeing(tf.sub(c.gce, scaled), scaled);
    return freeing(tf.mul(p, coefficient) as tf.Tensor2D, p, coefficient);
  });
}

export function backward(b: BackwardInputs): [tf.Tensor2D, tf.Tensor2D] {
  const [tokens, width] = b.hidden.shape;
  const vocab = b.weight.shape[0];
  const columns = makeColumns(b);
  const hiddenT = tf.transpose(b.hidden) as tf.Tensor2D;
  let hiddenGrad: tf.Tensor2D = tf.zeros([tokens, width]);
  const weightGradTChunks: tf.Tensor2D[] = [];
  for (const { start, size } of vocabChunks(vocab, b.chunkSize)) {
    const next = tf.tidy(() => {
      const softGrad = chunkSoftGrad(b, columns, start, size);
      const hiddenGradChunk = tf.matMul(softGrad, weightRows(b.weight, start, size));
      const weightGradT = freeing(tf.matMul(hiddenT, softGrad) as tf.Tensor2D, softGrad);
      return { weightGradT, hiddenGrad: tf.add(hiddenGrad, hiddenGradChunk) as tf.Tensor2D };
    });
    hiddenGrad.dispose();
    hiddenGrad = next.hiddenGrad;
    weightGradTChunks.push(next.weightGradT);
  }
  disposeColumns(columns);
  hiddenT.dispose();

  const denseWeightGradT = weightGradTChunks.length === 1 ? weightGradTChunks[0]! : freeing(tf.concat(weightGradTChunks, 1), ...weightGradTChunks);
  const denseWeightGrad = freeing(tf.transpose(denseWeightGradT) as tf.Tensor2D, denseWeightGradT);
  return tf.tidy(() => {
    // The one-hot part: scatterND sums rows with the same target (checked on cpu and wasm).
    const gce = tf.expandDims(b.ceGrad, 1);
    const scaledHidden = tf.mul(gce, b.hidden);
    const targetRows = tf.expandDims(b.targets, 1);
    const oneHotWeightGrad = tf.scatterND(targetRows, scaledHidden, [vocab, width]);
    const weightGrad = freeing(tf.sub(denseWeightGrad, oneHotWeightGrad) as tf.Tensor2D, denseWeightGrad, oneHotWeightGrad);
    const finalHiddenGrad = tf.sub(hiddenGrad, tf.mul(gce, tf.gather(b.weight, b.targets))) as tf.Tensor2D;
    hiddenGrad.dispose();
    return [finalHiddenGrad, weightGrad] as [tf.Tensor2D, tf.Tensor2D];
  });
}
