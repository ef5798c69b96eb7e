// Llama's native trunk as a tfjs op: the weight order, the dimensions of a call, and the wiring of
// llama-trunk.ts into nativeTrunkOp.
import type * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../types.js';
import { llamaTrunkBackward, llamaTrunkForward, LlamaWorkspace, type LlamaTrunkArrays, type LlamaTrunkDims } from './llama-trunk.js';
import { nativeTrunkOp, type NativeTrunkKernels } from './trunk-op.js';
import { arrangeWeights, weightNames, type WeightOrder } from './weight-order.js';
import { WorkspacePool } from './workspace.js';

export type LlamaWorkspacePool = WorkspacePool<LlamaTrunkDims, LlamaWorkspace>;

export function llamaWorkspacePool(): LlamaWorkspacePool {
  return new WorkspacePool<LlamaTrunkDims, LlamaWorkspace>();
}

const ORDER: WeightOrder = {
  head: [['embed', 'model.embed_tokens.weight']],
  block: [
    ['norm1', 'input_layernorm.weight'], ['q', 'self_attn.q_proj.weight'], ['k', 'self_attn.k_proj.weight'], ['v', 'self_attn.v_proj.weight'],
    ['o', 'self_attn.o_proj.weight'], ['norm2', 'post_attention_layernorm.weight'], ['gate', 'mlp.gate_proj.weight'],
    ['up', 'mlp.up_proj.weight'], ['down', 'mlp.down_proj.weight'],
  ],
  blockPrefix: (i) => `model.layers.${i}.`,
  tail: [['norm', 'model.norm.weight']],
};

/** The trunk's weight names in input order (HF names; lm_head is the loss head's, not the trunk's). */
export function llamaTrunkNames(layers: number): string[] {
  return weightNames(ORDER, layers);
}

export function arrangeLlama(arrays: readonly Float32Array[], layers: number): LlamaTrunkArrays {
  return arrangeWeights<LlamaTrunkArrays>(ORDER, arrays, layers);
}

export function llamaTrunkDims(config: ModelConfig, batch: number, seq: number): LlamaTrunkDims {
  return {
    batch, seq, width: config.hiddenSize, heads: config.numHeads, kvHeads: config.numKvHeads, inner: config.intermediateSize,
    layers: config.numLayers, vocab: config.vocabSize, eps: config.normEps, ropeTheta: config.ropeTheta,
  };
}

/** hidden [batch, seq, width] of a llama model through the native trunk, or undefined (heap too small). */
export function llamaTrunkOp(
  config: ModelConfig, weights: readonly tf.Variable[], inputIds: tf.Tensor2D, kernels: NativeTrunkKernels, pool: LlamaWorkspacePool,
): tf.Tensor3D | undefined {
  const [batch, seq] = inputIds.shape;
  const dims = llamaTrunkDims(config, batch, seq);
  return nativeTrunkOp({
    dims,
    width: dims.width,
    makeWorkspace: (d, arena) => new LlamaWorkspace(d, arena),
    forward: (w, ids, k, ws, out) => llamaTrunkForward(dims, arrangeLlama(w, dims.layers), ids, k, ws, out),
    backward: (w, ids, k, ws, dOut, grads) => llamaTrunkBackward(dims, arrangeLlama(w, dims.layers), ids, k, ws, dOut, arrangeLlama(grads, dims.layers)),
  }, weights, inputIds, kernels, pool);
}
