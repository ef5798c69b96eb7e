// Llama's native trunk descriptor: HF weight order (lm_head is the loss head's, not the trunk's), a
// call's dimensions, and llama-trunk.ts's passes.
import type { ModelConfig } from '../types.js';
import type { NativeArchitecture } from './architecture.js';
import { llamaTrunkBackward, llamaTrunkForward, LlamaWorkspace, type LlamaTrunkArrays, type LlamaTrunkDims } from './llama-trunk.js';

export function llamaTrunkDims(config: ModelConfig, batch: number, seq: number): LlamaTrunkDims {
  return {
    batch, seq, width: config.hiddenSize, heads: config.numHeads, kvHeads: config.numKvHeads, inner: config.intermediateSize,
    layers: config.numLayers, vocab: config.vocabSize, eps: config.normEps, ropeTheta: config.ropeTheta,
  };
}

export const LLAMA_NATIVE: NativeArchitecture<LlamaTrunkDims, LlamaWorkspace, LlamaTrunkArrays> = {
  order: {
    head: [['embed', 'model.embed_tokens.weight']],
    block: [
      ['norm1', 'input_layernorm.weight'], ['q', 'self_attn.q_proj.weight'], ['k', 'self_attn.k_proj.weight'], ['v', 'self_attn.v_proj.weight'],
      ['o', 'self_attn.o_proj.weight'], ['norm2', 'post_attention_layernorm.weight'], ['gate', 'mlp.gate_proj.weight'],
      ['up', 'mlp.up_proj.weight'], ['down', 'mlp.down_proj.weight'],
    ],
    blockPrefix: (i) => `model.layers.${i}.`,
    tail: [['norm', 'model.norm.weight']],
  },
  dims: llamaTrunkDims,
  width: (d) => d.width,
  makeWorkspace: (d, arena) => new LlamaWorkspace(d, arena),
  forward: llamaTrunkForward,
  backward: llamaTrunkBackward,
};
