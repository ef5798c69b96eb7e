// Backward pass of the fused head: dL/dhidden and dL/dweight from the upstream weights on ce and
// entropy, recomputing each chunk's logits from the saved log-partition (nothing [N × V] is kept
// between the passes). With logp = (l − m) − log s and p = e^logp:
//   d ce/dl = p − onehot(y),   d entropy/dl = −p ⊙ (logp + entropy),
// so dL/dl = p ⊙ (gce − gent·(logp + entropy)) − gce·onehot(y), where logp + entropy is computed as
// (l − m) + (entropy − log s) so that the ulp of m (≈ 5e-6 at logits of 80) never enters: this term
// is near 0 for the likely tokens, and an absolute error there is the whole entropy gradient's.
// dW rows of a chunk are written once (vocabulary chunking needs no [V, H] accumulation); only the
// small dL/dhidden [N, H] is summed across chunks. [N × chunk] intermediates are freed as soon as
// their successor exists, so at most three are alive at once.
import * as tf from '@tensorflow/tfjs';
import { chunkLogits, freeing, vocabChunks, weightRows } from './chunks.js';
import { targetIndicator } from './targets.js';

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
interface Columns {
  max: tf.Tensor2D;
  logSumExp: tf.Tensor2D;
  gce: tf.Tensor2D;
  /** entropyMinusLogSumExp = entropy − log s. */
  entropyTerm?: { gent: tf.Tensor2D; entropyMinusLogSumExp: tf.Tensor2D };
}

/** dL/dlogits of one chunk, [N, size]. */
function chunkLogitsGrad(b: BackwardInputs, c: Columns, start: number, size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const logits = chunkLogits(b.hidden, b.weight, start, size);
    const shifted = freeing(tf.sub(logits, c.max), logits);
    const logp = tf.sub(shifted, c.logSumExp);
    const p = freeing(tf.exp(logp), logp);
    let softPart: tf.Tensor2D;
    if (c.entropyTerm !== undefined) {
      const logpPlusEntropy = freeing(tf.add(shifted, c.entropyTerm.entropyMinusLogSumExp), shifted);
      const scaled = freeing(tf.mul(logpPlusEntropy, c.entropyTerm.gent), logpPlusEntropy);
      const coefficient = freeing(tf.sub(c.gce, scaled), scaled);
      softPart = freeing(tf.mul(p, coefficient), p, coefficient);
    } else {
      tf.dispose(shifted);
      softPart = freeing(tf.mul(p, c.gce), p);
    }
    const indicator = targetIndicator(b.targets, start, size);
    const hardPart = freeing(tf.mul(indicator, c.gce), indicator);
    return freeing(tf.sub(softPart, hardPart) as tf.Tensor2D, softPart, hardPart);
  });
}

export function backward(b: BackwardInputs): [tf.Tensor2D, tf.Tensor2D] {
  const columns: Columns = tf.tidy(() => ({
    max: tf.expandDims(b.max, 1) as tf.Tensor2D,
    logSumExp: tf.expandDims(b.logSumExp, 1) as tf.Tensor2D,
    gce: tf.expandDims(b.ceGrad, 1) as tf.Tensor2D,
    entropyTerm: b.entropyGrad === undefined || b.entropy === undefined ? undefined : {
      gent: tf.expandDims(b.entropyGrad, 1) as tf.Tensor2D,
      entropyMinusLogSumExp: tf.expandDims(tf.sub(b.entropy, b.logSumExp), 1) as tf.Tensor2D,
    },
  }));
  let hiddenGrad: tf.Tensor2D = tf.zerosLike(b.hidden);
  const weightGradChunks: tf.Tensor2D[] = [];
  for (const { start, size } of vocabChunks(b.weight.shape[0], b.chunkSize)) {
    const next = tf.tidy(() => {
      const logitsGrad = chunkLogitsGrad(b, columns, start, size);
      const rows = weightRows(b.weight, start, size);
      const hiddenGradChunk = tf.matMul(logitsGrad, rows);
      const logitsGradT = tf.transpose(logitsGrad); // explicit: transposeA is slow on wasm
      const weightGrad = freeing(tf.matMul(logitsGradT, b.hidden) as tf.Tensor2D, logitsGradT, logitsGrad);
      return { weightGrad, hiddenGrad: tf.add(hiddenGrad, hiddenGradChunk) as tf.Tensor2D };
    });
    hiddenGrad.dispose();
    hiddenGrad = next.hiddenGrad;
    weightGradChunks.push(next.weightGrad);
  }
  const { entropyTerm } = columns;
  tf.dispose([columns.max, columns.logSumExp, columns.gce, ...(entropyTerm ? [entropyTerm.gent, entropyTerm.entropyMinusLogSumExp] : [])]);
  if (weightGradChunks.length === 1) return [hiddenGrad, weightGradChunks[0]!];
  const weightGrad = tf.concat(weightGradChunks, 0);
  tf.dispose(weightGradChunks);
  return [hiddenGrad, weightGrad];
}
