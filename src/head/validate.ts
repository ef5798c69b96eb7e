// Argument checks shared by the fused head and its unfused reference. A wrong shape here is a
// programming error in the caller (the trainer), not bad user input, so it is thrown at once with
// the offending shapes in the message rather than surfacing later as a NaN or a tfjs shape error.
import type * as tf from '@tensorflow/tfjs';

export interface HeadShapes {
  tokens: number;
  width: number;
  vocab: number;
}

export function checkHeadArguments(hidden: tf.Tensor, weight: tf.Tensor, targets: tf.Tensor): HeadShapes {
  if (hidden.rank !== 2) throw new Error(`loss head: hidden must be [tokens, width], got shape [${hidden.shape}]`);
  if (weight.rank !== 2) throw new Error(`loss head: weight must be [vocab, width], got shape [${weight.shape}]`);
  const [tokens, width] = hidden.shape as [number, number];
  const [vocab, weightWidth] = weight.shape as [number, number];
  if (weightWidth !== width) {
    throw new Error(`loss head: hidden width ${width} does not match weight width ${weightWidth} (weight shape [${weight.shape}])`);
  }
  if (vocab < 1) throw new Error('loss head: the vocabulary is empty');
  if (targets.rank !== 1 || targets.shape[0] !== tokens) {
    throw new Error(`loss head: targets must be [${tokens}] (one per token), got shape [${targets.shape}]`);
  }
  if (targets.dtype !== 'int32') throw new Error(`loss head: targets must be int32, got ${targets.dtype}`);
  if (hidden.dtype !== 'float32' || weight.dtype !== 'float32') {
    throw new Error(`loss head: hidden and weight must be float32, got ${hidden.dtype} and ${weight.dtype}`);
  }
  return { tokens, width, vocab };
}

export function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new Error(`loss head: chunkSize must be a positive integer, got ${chunkSize}`);
  }
}
