// Held-out evaluation: the objective and the token-mean ce (with perplexity) over the eval set, in
// file order, per group when the objective has groups. No gradient, no training state touched.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/types.js';
import type { CausalLM } from '../model/types.js';
import { batchTensors, disposeBatchTensors } from './collate.js';
import { LossAccumulator } from './metrics.js';
import type { StepObjective } from './objective.js';
import { readResult } from './step.js';

export interface EvalResult {
  loss: number;
  ce: number;
  perplexity: number;
  tokens: number;
  groups: Record<string, { loss: number; tokens: number }>;
  worstGroup: string | null;
}

export function evaluate(
  model: CausalLM,
  objective: StepObjective,
  batches: readonly Batch[],
  position: { step: number; totalSteps: number },
): EvalResult {
  const acc = new LossAccumulator(objective.groupNames);
  // The held-out loss is token-weighted over the whole eval set, like ce and the group losses: a
  // mean of per-batch means would weight the tokens of short batches more, so that even
  // loss = mean(ce) would report a loss different from its own ce.
  let lossSum = 0;
  batches.forEach((batch, i) => {
    const tensors = batchTensors(batch);
    // tf.tidy only returns tensors, so the numbers are read out inside an explicit scope.
    tf.engine().startScope();
    let read: ReturnType<typeof readResult>;
    try {
      read = readResult(objective.computeLoss(model, tensors, { ...position, training: false, microBatch: i, microBatches: batches.length }));
    } finally {
      tf.engine().endScope();
    }
    disposeBatchTensors(tensors);
    acc.add(read.loss, read.ce, tensors.lossTokens, read.groups);
    lossSum += read.loss * tensors.lossTokens;
  });
  const r = acc.result();
  return { loss: r.tokens > 0 ? lossSum / r.tokens : 0, ce: r.ce, perplexity: Math.exp(r.ce), tokens: r.tokens, groups: r.groups, worstGroup: r.worstGroup };
}
