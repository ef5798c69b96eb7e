// GPT-2's native trunk descriptor: HF weight order, a call's dimensions, and gpt2-trunk.ts's passes.
import type { ModelConfig } from '../types.js';
import type { NativeArchitecture } from './architecture.js';
import { gpt2TrunkBackward, gpt2TrunkForward, Gpt2Workspace, type Gpt2TrunkArrays, type Gpt2TrunkDims } from './gpt2-trunk.js';

export function gpt2TrunkDims(config: ModelConfig, batch: number, seq: number): Gpt2TrunkDims {
  return {
    batch, seq, width: config.hiddenSize, heads: config.numHeads, inner: config.intermediateSize, layers: config.numLayers,
    vocab: config.vocabSize, eps: config.normEps,
    // As gpt2.ts: HF's "gelu" is the exact erf GELU, every other name the tanh approximation.
    activation: config.raw['activation_function'] === 'gelu' ? 'erf' : 'tanh',
  };
}

export const GPT2_NATIVE: NativeArchitecture<Gpt2TrunkDims, Gpt2Workspace, Gpt2TrunkArrays> = {
  order: {
    head: [['wte', 'transformer.wte.weight'], ['wpe', 'transformer.wpe.weight']],
    block: [
      ['ln1g', 'ln_1.weight'], ['ln1b', 'ln_1.bias'], ['qkvW', 'attn.c_attn.weight'], ['qkvB', 'attn.c_attn.bias'],
      ['projW', 'attn.c_proj.weight'], ['projB', 'attn.c_proj.bias'], ['ln2g', 'ln_2.weight'], ['ln2b', 'ln_2.bias'],
      ['fcW', 'mlp.c_fc.weight'], ['fcB', 'mlp.c_fc.bias'], ['outW', 'mlp.c_proj.weight'], ['outB', 'mlp.c_proj.bias'],
    ],
    blockPrefix: (i) => `transformer.h.${i}.`,
    tail: [['lnfG', 'transformer.ln_f.weight'], ['lnfB', 'transformer.ln_f.bias']],
  },
  dims: gpt2TrunkDims,
  width: (d) => d.width,
  makeWorkspace: (d, arena) => new Gpt2Workspace(d, arena),
  forward: gpt2TrunkForward,
  backward: gpt2TrunkBackward,
};
