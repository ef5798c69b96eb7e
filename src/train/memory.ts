// A training step's memory, estimated before the first step from the model's shape and the batch, so
// that a batch that cannot fit is refused with the estimate (exit 1) instead of dying mid-step (the
// wasm backends fail with "memory access out of bounds" past 2 GiB, other processes get killed).
//
// The estimate counts float32 tensors a step keeps for its backward pass, per layer and sample:
// the hidden-sized activations (norms, q/k/v, attention output, projections: ~10 × hidden a token),
// the MLP's (~3 × intermediate a token) and the attention scores with their softmax (~3 × heads ×
// seq² a sample); plus the loss head's logits, computed in vocabulary chunks (src/head/), ~3 ×
// min(vocab, chunk) a token; plus weights, gradients and Adam's moments (16 bytes a parameter).
// Calibrated on the bundled model with the wasm-blas backend: batch 256 (estimate 1.4 GB) trains,
// batch 512 (estimate 2.8 GB) fails past the 2 GiB limit. It is an estimate: the message says so.
import { totalmem } from 'node:os';
import { parameterCount, TRAINING_BYTES_PER_PARAM } from '../model/config.js';
import type { ModelConfig } from '../model/types.js';

export interface StepShape {
  /** Samples per micro-batch (train.batch). */
  batch: number;
  /** The longest sample's tokens: a batch is padded to its longest sample. */
  seqLen: number;
  /** The loss head's vocabulary chunk. */
  headChunk: number;
}

export interface StepMemory {
  /** Weights, gradients and optimizer state. */
  parameters: number;
  /** What the forward pass keeps for the backward pass, the head's logits included. */
  activations: number;
  total: number;
}

export function estimateStepMemory(model: ModelConfig, shape: StepShape): StepMemory {
  const { batch: b, seqLen: t } = shape;
  const h = model.hiddenSize;
  const perLayer = t * (10 * h + 3 * model.intermediateSize) + 3 * model.numHeads * t * t;
  const head = t * 3 * Math.min(model.vocabSize, shape.headChunk);
  const activations = 4 * b * (model.numLayers * perLayer + head);
  const parameters = parameterCount(model) * TRAINING_BYTES_PER_PARAM;
  return { parameters, activations, total: parameters + activations };
}

/** Where a step's tensors live and how much of it there is; undefined where it cannot be known here. */
export interface MemoryLimit {
  bytes: number;
  what: string;
}

/**
 * The tfjs wasm backends address their heap with signed 32-bit byte offsets (2 GiB); the others, and
 * the torch engine on the CPU, are bounded by this machine's memory. A GPU's memory is not known
 * before the torch program starts, but a step that does not fit in the host's memory does not fit
 * on any GPU sftgoc targets either, so the host bound still applies.
 */
export function memoryLimit(engine: 'tfjs' | 'torch', backend: string | undefined): MemoryLimit {
  const host = { bytes: totalmem(), what: "this machine's memory" };
  if (engine === 'tfjs' && (backend === 'wasm' || backend === 'wasm-blas')) {
    const wasm = { bytes: 2 ** 31, what: `the ${backend} backend's 2 GiB heap` };
    return wasm.bytes < host.bytes ? wasm : host;
  }
  return host;
}

export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

/**
 * The problem with a step of this shape under `limit`, naming the estimate and what to change; or
 * undefined when it fits. The largest batch that fits is suggested (activations scale with it).
 */
export function stepMemoryProblem(model: ModelConfig, shape: StepShape, limit: MemoryLimit): string | undefined {
  const need = estimateStepMemory(model, shape);
  if (need.total <= limit.bytes) return undefined;
  const perSample = need.activations / shape.batch;
  const fits = Math.floor((limit.bytes - need.parameters) / perSample);
  const advice = fits >= 1
    ? `set train.batch = ${fits} or less (raise train.grad_accum to keep the samples per update), or lower data.max_len`
    : 'lower data.max_len or use a smaller model';
  return `train.batch = ${shape.batch} with samples of up to ${shape.seqLen} tokens needs an estimated ${formatBytes(need.total)} per step ` +
    `(${formatBytes(need.activations)} of activations, ${formatBytes(need.parameters)} of weights and optimizer state), more than ${limit.what} (${formatBytes(limit.bytes)}); ${advice}`;
}
