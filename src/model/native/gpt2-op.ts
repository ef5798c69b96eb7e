// GPT-2's native trunk as a tfjs op: the weight order, the dimensions of a call, and the wiring of
// gpt2-trunk.ts into nativeTrunkOp.
import type * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../types.js';
import { gpt2TrunkBackward, gpt2TrunkForward, Gpt2Workspace, type Gpt2TrunkArrays, type Gpt2TrunkDims } from './gpt2-trunk.js';
import { nativeTrunkOp, type NativeTrunkKernels } from './trunk-op.js';
import { arrangeWeights, weightNames, type WeightOrder } from './weight-order.js';
import { WorkspacePool } from './workspace.js';

export type Gpt2WorkspacePool = WorkspacePool<Gpt2TrunkDims, Gpt2Workspace>;

export function gpt2WorkspacePool(): Gpt2WorkspacePool {
  return new WorkspacePool<Gpt2TrunkDims, Gpt2Workspace>();
}

const ORDER: WeightOrder = {
  head: [['wte', 'transformer.wte.weight'], ['wpe', 'transformer.wpe.weight']],
  block: [
    ['ln1g', 'ln_1.weight'], ['ln1b', 'ln_1.bias'], ['qkvW', 'attn.c_attn.weight'], ['qkvB', 'attn.c_attn.bias'],
    ['projW', 'attn.c_proj.weight'], ['projB', 'attn.c_proj.bias'], ['ln2g', 'ln_2.weight'], ['ln2b', 'ln_2.bias'],
    ['fcW', 'mlp.c_fc.weight'], ['fcB', 'mlp.c_fc.bias'], ['outW', 'mlp.c_proj.weight'], ['outB', 'mlp.c_proj.bias'],
  ],
  blockPrefix: (i) => `transformer.h.${i}.`,
  tail: [['lnfG', 'transformer.ln_f.weight'], ['lnfB', 'transformer.ln_f.bias']],
};

/** The trunk's weight names in input order (HF names). */
export function gpt2TrunkNames(layers: number): string[] {
  return weightNames(ORDER, layers);
}

/** Arrays in gpt2TrunkNames order → the trunk's structure. */
export function arrangeGpt2(arrays: readonly Float32Array[], layers: number): Gpt2TrunkArrays {
  return arrangeWeights<Gpt2TrunkArrays>(ORDER, arrays, layers);
}

export function gpt2TrunkDims(config: ModelConfig, batch: number, seq: number): Gpt2TrunkDims {
  return {
    batch, seq, width: config.hiddenSize, heads: config.numHeads, inner: config.intermediateSize, layers: config.numLayers,
    vocab: config.vocabSize, positions: config.maxPositions, eps: config.normEps,
    // As gpt2.ts: HF's "gelu" is the exact erf GELU, every other name the tanh approximation.
    activation: config.raw['activation_function'] === 'gelu' ? 'erf' : 'tanh',
  };
}

/** hidden [batch, seq, width] of a gpt2 model through the native trunk, or undefined (heap too small). */
export function gpt2TrunkOp(
  config: ModelConfig, weights: readonly tf.Variable[], inputIds: tf.Tensor2D, kernels: NativeTrunkKernels, pool: Gpt2WorkspacePool,
): tf.Tensor3D | undefined {
  const [batch, seq] = inputIds.shape;
  const dims = gpt2TrunkDims(config, batch, seq);
  return nativeTrunkOp({
    dims,
    width: dims.width,
    makeWorkspace: (d, arena) => new Gpt2Workspace(d, arena),
    forward: (w, ids, k, ws, out) => gpt2TrunkForward(dims, arrangeGpt2(w, dims.layers), ids, k, ws, out),
    backward: (w, ids, k, ws, dOut, grads) => gpt2TrunkBackward(dims, arrangeGpt2(w, dims.layers), ids, k, ws, dOut, arrangeGpt2(grads, dims.layers)),
  }, weights, inputIds, kernels, pool);
}
