// Turns a Batch (padded by src/data/batch.ts) into the tensors an objective sees.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/types.js';
import type { BatchTensors } from './objective.js';

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
