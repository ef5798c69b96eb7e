// Llama's native trunk as a tfjs op: the weight order, the dimensions of a call, and the wiring of
// llama-trunk.ts into nativeTrunkOp.
import type * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../types.js';
import { llamaTrunkBackward, llamaTrunkForward, LlamaWorkspace, type LlamaBlockArrays, type LlamaTrunkArrays, type LlamaTrunkDims } from './llama-trunk.js';
import { nativeTrunkOp, type NativeTrunkKernels } from './trunk-op.js';
import { WorkspacePool } from './workspace.js';

export type LlamaWorkspacePool = WorkspacePool<LlamaTrunkDims, LlamaWorkspace>;

export function llamaWorkspacePool(): LlamaWorkspacePool {
  return new WorkspacePool<LlamaTrunkDims, LlamaWorkspace>();
}

const BLOCK_NAMES = [
  'input_layernorm.weight', 'self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'self_attn.v_proj.weight', 'self_attn.o_proj.weight',
  'post_attention_layernorm.weight', 'mlp.gate_proj.weight', 'mlp.up_proj.weight', 'mlp.down_proj.weight',
] as const;
const BLOCK_FIELDS: (keyof LlamaBlockArrays)[] = ['norm1', 'q', 'k', 'v', 'o', 'norm2', 'gate', 'up', 'down'];

/** The trunk's weight names in input order (HF names; lm_head is the loss head's, not the trunk's). */
export function llamaTrunkNames(layers: number): string[] {
  const names = ['model.embed_tokens.weight'];
  for (let i = 0; i < layers; i++) {
    for (const n of BLOCK_NAMES) names.push(`model.layers.${i}.${n}`);
  }
  names.push('model.norm.weight');
  return names;
}

export function arrangeLlama(arrays: Float32Array[], layers: number): LlamaTrunkArrays {
  const blocks: LlamaBlockArrays[] = [];
  for (let l = 0; l < layers; l++) {
    const base = 1 + l * BLOCK_FIELDS.length;
    blocks.push(Object.fromEntries(BLOCK_FIELDS.map((f, i) => [f, arrays[base + i]!])) as unknown as LlamaBlockArrays);
  }
  return { embed: arrays[0]!, blocks, norm: arrays[1 + layers * BLOCK_FIELDS.length]! };
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
