// GPT-2's native trunk as a tfjs op: the weight order, the dimensions of a call, and the wiring of
// gpt2-trunk.ts into nativeTrunkOp.
import type * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../types.js';
import { gpt2TrunkBackward, gpt2TrunkForward, Gpt2Workspace, type Gpt2BlockArrays, type Gpt2TrunkArrays, type Gpt2TrunkDims } from './gpt2-trunk.js';
import { nativeTrunkOp, type NativeTrunkKernels } from './trunk-op.js';
import { WorkspacePool } from './workspace.js';

export type Gpt2WorkspacePool = WorkspacePool<Gpt2TrunkDims, Gpt2Workspace>;

export function gpt2WorkspacePool(): Gpt2WorkspacePool {
  return new WorkspacePool<Gpt2TrunkDims, Gpt2Workspace>();
}

const BLOCK_NAMES = [
  'ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias',
  'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias',
] as const;
const BLOCK_FIELDS: (keyof Gpt2BlockArrays)[] = ['ln1g', 'ln1b', 'qkvW', 'qkvB', 'projW', 'projB', 'ln2g', 'ln2b', 'fcW', 'fcB', 'outW', 'outB'];

/** The trunk's weight names in input order (HF names). */
export function gpt2TrunkNames(layers: number): string[] {
  const names = ['transformer.wte.weight', 'transformer.wpe.weight'];
  for (let i = 0; i < layers; i++) {
    for (const n of BLOCK_NAMES) names.push(`transformer.h.${i}.${n}`);
  }
  names.push('transformer.ln_f.weight', 'transformer.ln_f.bias');
  return names;
}

/** Arrays in gpt2TrunkNames order → the trunk's structure. */
export function arrangeGpt2(arrays: Float32Array[], layers: number): Gpt2TrunkArrays {
  const blocks: Gpt2BlockArrays[] = [];
  for (let l = 0; l < layers; l++) {
    const base = 2 + l * BLOCK_FIELDS.length;
    blocks.push(Object.fromEntries(BLOCK_FIELDS.map((f, i) => [f, arrays[base + i]!])) as unknown as Gpt2BlockArrays);
  }
  const last = 2 + layers * BLOCK_FIELDS.length;
  return { wte: arrays[0]!, wpe: arrays[1]!, blocks, lnfG: arrays[last]!, lnfB: arrays[last + 1]! };
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
