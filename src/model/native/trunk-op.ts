// A native trunk (GPT-2 or llama) as one differentiable TensorFlow.js op on the wasm backend with a
// system BLAS (`wasm-blas`): the hand-written forward and backward behind tf.customGrad, reading the
// weights and writing the hidden states and every gradient in place on the wasm heap.
//
// Why customGrad: the backward needs the forward's activations, which live in a workspace on the
// heap, not in tensors; the gradient closure carries it. The weights are the op's inputs, so the
// tape connects each variable to the loss as if the trunk were ordinary ops.
//
// When: `nativeTrunkKernels()` says whether the active backend is wasm with a BLAS bound and the
// SIMD kernels loaded; otherwise the models run their tfjs ops, which stay the reference and the
// fallback (also when the heap cannot hold a workspace).
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { blasOnHeap } from '../../backend/simd/module.js';
import { wasmMemory, type WasmBackendInternals } from '../../backend/tfjs-internals.js';
import { HeapAllocationError, heapArena, type Arena } from '../../backend/heap/arena.js';
import { simdRowOps, type TrunkKernels } from './row-ops.js';
import { engineTape, type ArenaWorkspace, type WorkspacePool } from '../../backend/heap/workspace.js';

export interface NativeTrunkKernels extends TrunkKernels {
  backend: WasmBackendInternals;
}

/**
 * The kernels a native trunk would use now: the wasm backend with a system BLAS bound and the
 * SIMD binary loaded (and setNativeKernels not off); undefined otherwise.
 */
export function nativeTrunkKernels(): NativeTrunkKernels | undefined {
  const k = blasOnHeap();
  return k === undefined ? undefined : { sgemm: k.sgemm, sgemmBatch: k.sgemmBatch, ops: simdRowOps(k.simd, wasmMemory(k.backend)), backend: k.backend };
}

/** One architecture's trunk for one call: its dimensions and its hand-written passes. */
export interface NativeTrunk<D, W extends ArenaWorkspace<D>> {
  dims: D;
  /** The hidden width (the output is [batch, seq, width]). */
  width: number;
  makeWorkspace(dims: D, arena: Arena): W;
  /** Weights in the op's input order; hidden states into `out`. */
  forward(weights: Float32Array[], ids: Int32Array, k: TrunkKernels, ws: W, out: Float32Array): void;
  /** Every weight's gradient into `grads` (input order, overwritten); the ids are the workspace's. */
  backward(weights: Float32Array[], k: TrunkKernels, ws: W, dOut: Float32Array, grads: Float32Array[]): void;
}

/**
 * hidden [batch, seq, width] through `trunk`, or undefined when the wasm heap cannot hold its
 * workspace (the caller then runs its tfjs ops). `weights` in the trunk's input order; `inputIds`
 * int32 [batch, seq].
 */
export function nativeTrunkOp<D, W extends ArenaWorkspace<D>>(
  trunk: NativeTrunk<D, W>, weights: readonly tf.Variable[], inputIds: tf.Tensor2D, kernels: NativeTrunkKernels, pool: WorkspacePool<D, W>,
): tf.Tensor3D | undefined {
  const [batch, seq] = inputIds.shape;
  const tape = engineTape();
  // Only a recorded op is ever differentiated: otherwise the workspace goes back at once.
  const recording = tape.recording && weights.some((v) => v.trainable);
  const { backend } = kernels;
  const views = (ts: readonly TensorInfo[]): Float32Array[] => ts.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  let ws: W;
  try {
    ws = pool.take(trunk.dims, recording ? tape.activeTape : undefined, tape.activeTape, (dims) => trunk.makeWorkspace(dims, heapArena(backend)));
  } catch (e) {
    if (e instanceof HeapAllocationError) return undefined;
    throw e;
  }
  const generation = ws.generation;

  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, -1) as tf.Tensor[];
    // A copy of the ids: a few KB, and it survives the heap growing before the backward.
    const ids = Int32Array.from(backend.typedArrayFromHeap(inputs[0]!) as Int32Array);
    const outInfo = backend.makeOutput([batch, seq, trunk.width], 'float32');
    // Views after every allocation: growing the wasm memory detaches earlier ones.
    ws.refresh();
    try {
      trunk.forward(views(inputs.slice(1)), ids, kernels, ws, views([outInfo])[0]!);
    } catch (e) {
      // No tensor owns the output yet: free it here (an id outside the vocabulary, say).
      backend.disposeData(outInfo.dataId);
      throw e;
    } finally {
      if (!recording) pool.give(ws);
    }
    const value = tf.engine().makeTensorFromTensorInfo(outInfo) as tf.Tensor3D;
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        if (ws.generation !== generation || !recording) {
          throw new Error('native trunk: the backward ran after its forward\'s activations were reused (an op differentiated outside the tape it was recorded on)');
        }
        const gradInfos = inputs.slice(1).map((t) => backend.makeOutput([...t.shape], 'float32'));
        const idGrad = tf.zeros(inputIds.shape);
        ws.refresh();
        try {
          trunk.backward(views(inputs.slice(1)), kernels, ws, views([dy])[0]!, views(gradInfos));
        } finally {
          pool.give(ws);
        }
        return [idGrad, ...gradInfos.map((info) => tf.engine().makeTensorFromTensorInfo(info))];
      },
    };
  });
  return op(inputIds, ...weights) as tf.Tensor3D;
}
