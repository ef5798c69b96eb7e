// One optimizer update: the objective evaluated on each micro-batch under a gradient tape, the
// gradients averaged over micro-batches (each micro-batch's loss is already a mean over its own
// tokens, so this is the mean of per-micro-batch losses, as in Hugging Face's Trainer), clipped by
// global norm, then one AdamW update. Nothing is applied when the loss is not finite.
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../data/types.js';
import type { CausalLM } from '../model/types.js';
import type { AdamW } from './adamw.js';
import { clipScale } from './clip.js';
import { batchTensors, disposeBatchTensors } from './collate.js';
import { LossAccumulator, type GroupMetric } from './metrics.js';
import type { ObjectiveResult, StepContext, StepObjective } from './objective.js';

export interface StepInput {
  model: CausalLM;
  objective: StepObjective;
  optimizer: AdamW;
  microBatches: readonly Batch[];
  /** 0-based index of this update and the run's total, for the objective's schedules. */
  step: number;
  totalSteps: number;
  lr: number;
  clipGrad: number;
}

export interface StepOutcome {
  finite: boolean;
  loss: number;
  ce: number;
  tokens: number;
  groups: Record<string, GroupMetric>;
  worstGroup: string | null;
  /** Global gradient norm before clipping (NaN when the loss was not finite). */
  gradNorm: number;
}

/** Reads an objective result's numbers back to the host. */
export function readResult(result: ObjectiveResult): { loss: number; ce: number; groups: Map<string, GroupMetric> } {
  const groups = new Map<string, GroupMetric>();
  for (const [name, g] of result.groups) groups.set(name, { loss: g.loss.dataSync()[0]!, tokens: g.tokens });
  return { loss: result.loss.dataSync()[0]!, ce: result.ce.dataSync()[0]!, groups };
}

function disposeResult(result: ObjectiveResult): void {
  const all = new Set<tf.Tensor>([result.loss, result.ce, ...[...result.groups.values()].map((g) => g.loss)]);
  for (const t of all) t.dispose();
}

export function trainStep(input: StepInput): StepOutcome {
  const { model, objective, optimizer } = input;
  // tfjs names variables itself; map its names back to the parameter names.
  const varList = [...model.params.values()].filter((v) => v.trainable);
  const nameOf = new Map<string, string>();
  for (const [name, v] of model.params) nameOf.set(v.name, name);

  const acc = new LossAccumulator(objective.groupNames);
  let gradSum: Map<string, tf.Tensor> | undefined;
  const k = input.microBatches.length;
  for (let i = 0; i < k; i++) {
    const tensors = batchTensors(input.microBatches[i]!);
    const context: StepContext = { step: input.step, totalSteps: input.totalSteps, training: true, microBatch: i, microBatches: k };
    let kept: ObjectiveResult | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const result = objective.computeLoss(model, tensors, context);
      // The metrics outlive the tape's tidy; the loss itself is returned (and so kept) by variableGrads.
      kept = { loss: result.loss, ce: tf.keep(result.ce), groups: new Map([...result.groups].map(([n, g]) => [n, { loss: tf.keep(g.loss), tokens: g.tokens }])) };
      return result.loss;
    }, varList);
    const read = readResult({ ...kept!, loss: value });
    disposeResult({ ...kept!, loss: value });
    disposeBatchTensors(tensors);
    acc.add(read.loss, read.ce, tensors.lossTokens, read.groups);
    if (gradSum === undefined) {
      gradSum = new Map(Object.entries(grads).map(([v, g]) => [nameOf.get(v) ?? v, g]));
    } else {
      for (const [v, g] of Object.entries(grads)) {
        const name = nameOf.get(v) ?? v;
        const prev = gradSum.get(name);
        gradSum.set(name, prev === undefined ? g : tf.add(prev, g));
        if (prev !== undefined) {
          prev.dispose();
          g.dispose();
        }
      }
    }
  }
  const totals = acc.result();
  const outcome: StepOutcome = { finite: Number.isFinite(totals.loss), ...totals, gradNorm: NaN };
  const grads = gradSum ?? new Map<string, tf.Tensor>();
  if (!outcome.finite) {
    tf.dispose([...grads.values()]);
    return outcome;
  }
  const averaged = k === 1 ? grads : new Map([...grads].map(([n, g]) => [n, tf.div(g, k)]));
  if (k !== 1) tf.dispose([...grads.values()]);
  // Clipping scales every gradient by one factor; the optimizer applies it in its own pass.
  const clipped = clipScale(averaged, input.clipGrad);
  outcome.gradNorm = clipped.norm;
  if (!Number.isFinite(clipped.norm)) {
    outcome.finite = false;
  } else {
    optimizer.apply(averaged, input.lr, clipped.scale);
  }
  tf.dispose([...averaged.values()]);
  return outcome;
}
