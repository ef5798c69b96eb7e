// How a training objective plugs into the trainer. The compiled objectives of the language (SFT-GO,
// Rho-1, DFT, GFT, Group DRO) are lowered onto StepObjective elsewhere; `meanCe` is the built-in
// plain SFT objective (`loss = mean(ce)`) the trainer and its tests use directly.
import type * as tf from '@tensorflow/tfjs';
import type { Batch, Sample } from '../data/types.js';
import type { CausalLM } from '../model/types.js';
import * as tfjs from '@tensorflow/tfjs';
import { DEFAULT_HEAD_CHUNK } from '../head/chunk-size.js';
import { tokenStats, type TokenStats } from '../head/fused-ce.js';
import { referenceTokenStats } from '../head/reference.js';

/** One micro-batch as tensors, with the host-side batch for objectives that need text or spans. */
export interface BatchTensors {
  batch: Batch;
  /** int32 [batch, seq]. */
  inputIds: tf.Tensor2D;
  /** int32 [batch, seq]: the id of token t+1 (see Batch.targets). */
  targets: tf.Tensor2D;
  /** float32 [batch, seq]: 1 where the target carries a loss. */
  lossMask: tf.Tensor2D;
  /** Sample.index of each row, for per-sample caches (static scores, reference ce). */
  sampleIds: readonly number[];
  /** Loss tokens in this micro-batch (the sum of lossMask). */
  lossTokens: number;
}

export interface StepContext {
  /** The 0-based optimizer update this evaluation belongs to (for schedules: `step`, `progress`). */
  step: number;
  totalSteps: number;
  /** False during evaluation: objectives must then leave their training state (DRO weights) alone. */
  training: boolean;
  /** Which micro-batch of the update (0-based) and how many there are, for gradient accumulation. */
  microBatch: number;
  microBatches: number;
}

export interface GroupValue {
  /** The group's token-mean of the objective's `of` quantity (ce by default); 0 when empty. */
  loss: tf.Scalar;
  /** Loss tokens in the group. */
  tokens: number;
}

export interface ObjectiveResult {
  /** The training loss to differentiate. */
  loss: tf.Scalar;
  /** The token-mean ce over the batch's loss tokens, reported as `ce` whatever the loss is. */
  ce: tf.Scalar;
  /** Per-group values in the order of StepObjective.groupNames (empty for objectives without groups). */
  groups: Map<string, GroupValue>;
}

export interface PrepareContext {
  train: readonly Sample[];
  eval: readonly Sample[];
  /** The run directory's cache/ folder (static scores, reference ce keyed by content hash); absent without a run directory. */
  cacheDir?: string;
}

export interface StepObjective {
  readonly name: string;
  /** Group names in partition order (declared groups, then `rest`); empty when there are none. */
  readonly groupNames: readonly string[];
  /** Precomputation before training (static scorers, reference ce). Optional. */
  prepare?(context: PrepareContext): Promise<void>;
  /**
   * Evaluates the objective on one micro-batch. Called inside a gradient tape (training) or a tidy
   * (evaluation): it must be synchronous and create tensors only through tfjs ops.
   */
  computeLoss(model: CausalLM, batch: BatchTensors, context: StepContext): ObjectiveResult;
  /** The scalar value of every param at this step (λ included), for metrics.jsonl. */
  paramValues?(context: StepContext): Record<string, number>;
  /** Training state that a checkpoint must carry (Group DRO's q), as JSON, and its restoration. */
  getState?(): unknown;
  setState?(state: unknown): string[];
}


/** The model inputs a per-token ce needs. */
export type CeInputs = Pick<BatchTensors, 'inputIds' | 'targets'>;

/** Token mean of `values` over positions where `mask` is 1; 0 when the mask is empty. */
export function maskedMean(values: tf.Tensor, mask: tf.Tensor): tf.Scalar {
  return tfjs.tidy(() => tfjs.div(tfjs.sum(tfjs.mul(values, mask)), tfjs.maximum(tfjs.sum(mask), 1)) as tf.Scalar);
}

/** Per-token ce [batch, seq] of the model's final hidden states through a head over [batch·seq] tokens. */
function perTokenCe(model: CausalLM, batch: CeInputs, head: (hidden: tf.Tensor2D, weight: tf.Tensor2D, targets: tf.Tensor1D) => TokenStats): tf.Tensor2D {
  return tfjs.tidy(() => {
    const [b, t] = batch.inputIds.shape;
    const hidden = model.hidden(batch.inputIds);
    const flat = tfjs.reshape(hidden, [b * t, hidden.shape[2]]) as tf.Tensor2D;
    const { ce } = head(flat, model.outputEmbedding(), tfjs.reshape(batch.targets, [b * t]) as tf.Tensor1D);
    return tfjs.reshape(ce, [b, t]) as tf.Tensor2D;
  });
}

/**
 * Per-token ce [batch, seq] through the fused head of src/head/ (hidden states × output embedding,
 * chunked over the vocabulary, never materialising the logits): the production path. Targets at
 * padding are 0 and carry no loss: the mask gives them upstream weight 0.
 */
export function fusedTokenCe(model: CausalLM, batch: CeInputs): tf.Tensor2D {
  return perTokenCe(model, batch, (h, w, y) => tokenStats(h, w, y, { chunkSize: DEFAULT_HEAD_CHUNK }));
}

/**
 * Per-token ce [batch, seq] through the unfused head (src/head/reference.ts: full logits,
 * log-softmax): the tensor reference tests check the fused path and the lowered objectives against.
 */
export function plainTokenCe(model: CausalLM, batch: CeInputs): tf.Tensor2D {
  return perTokenCe(model, batch, (h, w, y) => referenceTokenStats(h, w, y));
}

function meanCeWith(name: string, perToken: (model: CausalLM, batch: BatchTensors) => tf.Tensor2D): StepObjective {
  return {
    name,
    groupNames: [],
    computeLoss(model, batch) {
      const ce = perToken(model, batch);
      const mean = maskedMean(ce, batch.lossMask);
      ce.dispose();
      return { loss: mean, ce: mean, groups: new Map() };
    },
  };
}

/** `loss = mean(ce)`: the token-mean cross-entropy over the batch's loss tokens; no groups. */
export const meanCe: StepObjective = meanCeWith('mean-ce', fusedTokenCe);

/** The same objective on the plain logits path, for checking the fused one. */
export const meanCePlain: StepObjective = meanCeWith('mean-ce-plain', plainTokenCe);
