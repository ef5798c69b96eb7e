// What a native trunk needs to know about one architecture (GPT-2, llama), in one descriptor: its
// weight order, the dimensions of a call, its workspace and its hand-written passes. The models
// call `nativeHidden` with theirs; the tests run the same descriptors with plain-loop products.
import type * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from '../types.js';
import type { Arena } from '../../backend/heap/arena.js';
import type { TrunkKernels } from './row-ops.js';
import { nativeTrunkOp, type NativeTrunkKernels } from './trunk-op.js';
import { arrangeWeights, weightNames, type WeightOrder } from './weight-order.js';
import type { ArenaWorkspace, WorkspacePool } from '../../backend/heap/workspace.js';

export interface NativeArchitecture<D, W extends ArenaWorkspace<D>, A> {
  order: WeightOrder;
  dims(config: ModelConfig, batch: number, seq: number): D;
  /** The hidden width of a call's output. */
  width(dims: D): number;
  makeWorkspace(dims: D, arena: Arena): W;
  forward(dims: D, weights: A, ids: Int32Array, k: TrunkKernels, ws: W, out: Float32Array): void;
  /** Every weight's gradient into `grads` (overwritten). */
  backward(dims: D, weights: A, k: TrunkKernels, ws: W, dOut: Float32Array, grads: A): void;
}

/** The trunk's weight names in input order. */
export function trunkNames<D, W extends ArenaWorkspace<D>, A>(arch: NativeArchitecture<D, W, A>, layers: number): string[] {
  return weightNames(arch.order, layers);
}

/** Forward into `hidden`, then (with dOut) the backward into `grads`; arrays in trunkNames order. */
export function runTrunk<D, W extends ArenaWorkspace<D>, A>(
  arch: NativeArchitecture<D, W, A>, dims: D, layers: number, weights: readonly Float32Array[], ids: Int32Array, k: TrunkKernels, ws: W,
  hidden: Float32Array, backward?: { dOut: Float32Array; grads: readonly Float32Array[] },
): void {
  const w = arrangeWeights<A>(arch.order, weights, layers);
  arch.forward(dims, w, ids, k, ws, hidden);
  if (backward !== undefined) arch.backward(dims, w, k, ws, backward.dOut, arrangeWeights<A>(arch.order, backward.grads, layers));
}

/**
 * hidden [batch, seq, width] through the native trunk of `arch`, or undefined when the wasm heap
 * cannot hold its workspace (the model then runs its tfjs ops). `variables` by weight name.
 */
export function nativeHidden<D, W extends ArenaWorkspace<D>, A>(
  arch: NativeArchitecture<D, W, A>, config: ModelConfig, variables: ReadonlyMap<string, tf.Variable>, inputIds: tf.Tensor2D,
  kernels: NativeTrunkKernels, pool: WorkspacePool<D, W>,
): tf.Tensor3D | undefined {
  const [batch, seq] = inputIds.shape;
  const dims = arch.dims(config, batch, seq);
  const layers = config.numLayers;
  const weights = trunkNames(arch, layers).map((n) => {
    const v = variables.get(n);
    if (v === undefined) throw new Error(`native trunk: weight ${n} is missing`);
    return v;
  });
  return nativeTrunkOp({
    dims,
    width: arch.width(dims),
    makeWorkspace: (d, arena) => arch.makeWorkspace(d, arena),
    forward: (w, ids, k, ws, out) => arch.forward(dims, arrangeWeights<A>(arch.order, w, layers), ids, k, ws, out),
    backward: (w, k, ws, dOut, grads) => arch.backward(dims, arrangeWeights<A>(arch.order, w, layers), k, ws, dOut, arrangeWeights<A>(arch.order, grads, layers)),
  }, weights, inputIds, kernels, pool);
}
