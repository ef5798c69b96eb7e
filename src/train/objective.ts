// How a training objective plugs into the trainer. The compiled objectives of the language (SFT-GO,
// Rho-1, DFT, GFT, Group DRO) are lowered onto StepObjective elsewhere; `meanCe` is the built-in
// plain SFT objective (`loss = mean(ce)`) the trainer and its tests use directly.
import type * as tf from '@tensorflow/tfjs';
import type { Batch, Sample } from '../data/types.js';
import type { CausalLM } from '../model/types.js';
import * as tfjs from '@tensorflow/tfjs';
import { DEFAULT_HEAD_CHUNK } from '../head/chunk-size.js';
import { tokenStats } from '../head/fused-ce.js';
import { maskedMean, tokenCe } from './token-ce.js';

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


/**
 * Per-token ce [batch, seq] through the fused head of src/head/ (hidden states × output embedding,
 * chunked over the vocabulary, never materialising the logits). Targets at padding are 0 and carry
 * no loss: the mask gives them upstream weight 0.
 */
export function fusedTokenCe(model: CausalLM, batch: BatchTensors): tf.Tensor2D {
  return tfjs.tidy(() => {
    const [b, t] = batch.inputIds.shape;
    const hidden = model.hidden(batch.inputIds);
    const flat = tfjs.reshape(hidden, [b * t, hidden.shape[2]]) as tf.Tensor2D;
    const { ce } = tokenStats(flat, model.outputEmbedding(), tfjs.reshape(batch.targets, [b * t]) as tf.Tensor1D, { chunkSize: DEFAULT_HEAD_CHUNK });
    return tfjs.reshape(ce, [b, t]) as tf.Tensor2D;
  });
}

/** Per-token ce [batch, seq] on the plain path: full logits, log-softmax. The reference for the fused one. */
export function plainTokenCe(model: CausalLM, batch: BatchTensors): tf.Tensor2D {
  return tfjs.tidy(() => tokenCe(model.logits(batch.inputIds), batch.targets));
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
