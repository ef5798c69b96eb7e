// Pads samples into a Batch (src/data/types.ts) and turns a Batch into tensors. Right padding:
// causal attention never lets a padded position influence an earlier one.
import * as tf from '@tensorflow/tfjs';
import type { Batch, Sample } from '../data/types.js';
import type { BatchTensors } from './objective.js';

export function collate(samples: readonly Sample[], padId: number): Batch {
  const batchSize = samples.length;
  const seqLen = Math.max(1, ...samples.map((s) => s.ids.length));
  const inputIds = new Int32Array(batchSize * seqLen).fill(padId);
  const targets = new Int32Array(batchSize * seqLen);
  const lossMask = new Float32Array(batchSize * seqLen);
  samples.forEach((s, b) => {
    for (let t = 0; t < s.ids.length; t++) {
      inputIds[b * seqLen + t] = s.ids[t]!;
      if (t + 1 < s.ids.length) {
        targets[b * seqLen + t] = s.ids[t + 1]!;
        // lossMask[t+1] marks token t+1 as a loss token; it is predicted at position t.
        lossMask[b * seqLen + t] = s.lossMask[t + 1] ? 1 : 0;
      }
    }
  });
  return { batchSize, seqLen, inputIds, targets, lossMask, samples: [...samples] };
}

/** Tokens that are not padding: the work a batch represents, for tokens/s. */
export function realTokens(batch: Batch): number {
  return batch.samples.reduce((n, s) => n + Math.min(s.ids.length, batch.seqLen), 0);
}

export function batchTensors(batch: Batch): BatchTensors {
  const shape: [number, number] = [batch.batchSize, batch.seqLen];
  let lossTokens = 0;
  for (const m of batch.lossMask) lossTokens += m;
  return {
    batch,
    inputIds: tf.tensor2d(batch.inputIds, shape, 'int32'),
    targets: tf.tensor2d(batch.targets, shape, 'int32'),
    lossMask: tf.tensor2d(batch.lossMask, shape, 'float32'),
    sampleIds: batch.samples.map((s) => s.index),
    lossTokens,
  };
}

export function disposeBatchTensors(t: BatchTensors): void {
  t.inputIds.dispose();
  t.targets.dispose();
  t.lossMask.dispose();
}
