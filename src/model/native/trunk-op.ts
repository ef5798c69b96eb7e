// The GPT-2 trunk as one differentiable TensorFlow.js op on the wasm backend with a system BLAS
// (`wasm-blas`): the forward and backward of gpt2-trunk.ts behind tf.customGrad, reading the
// weights and writing the hidden states and every gradient in place on the wasm heap.
//
// Why customGrad: the backward needs the forward's activations, which live in JavaScript buffers
// (a Gpt2Workspace), not in tensors; the gradient closure carries them. The weights are the op's
// inputs, so the tape connects each variable to the loss as if the trunk were ordinary ops.
//
// When: `nativeTrunkSgemm()` says whether the active backend is wasm with a BLAS bound (and the
// switch is on); otherwise gpt2.ts runs its tfjs ops, which stay the reference and the fallback.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { activeBlas } from '../../backend/blas/matmul.js';
import { nativeKernelsEnabled, wasmHeap, type WasmHeapBackend } from '../../backend/simd/module.js';
import type { ModelConfig } from '../types.js';
import { HeapAllocationError, heapArena } from './arena.js';
import { gpt2TrunkBackward, gpt2TrunkForward, Gpt2Workspace, type Gpt2BlockArrays, type Gpt2TrunkArrays, type Gpt2TrunkDims, type TrunkKernels } from './gpt2-trunk.js';
import { simdRowOps } from './row-ops.js';

export interface NativeTrunkKernels extends TrunkKernels {
  backend: WasmHeapBackend;
}

/**
 * The kernels the native trunk would use now: the wasm backend with a system BLAS bound and the
 * SIMD binary loaded (and setNativeKernels not off); undefined otherwise.
 */
export function nativeTrunkKernels(): NativeTrunkKernels | undefined {
  if (!nativeKernelsEnabled()) return undefined;
  const blas = activeBlas();
  const heap = blas === undefined ? undefined : wasmHeap();
  if (blas === undefined || heap === undefined) return undefined;
  return { sgemm: blas.sgemm, ops: simdRowOps(heap.simd, heap.backend.wasm.asm.memory), backend: heap.backend };
}

interface EngineState {
  gradientDepth: number;
  kernelDepth: number;
  activeTape: unknown;
}

/**
 * Reused workspaces on the wasm heap, so a step neither allocates nor zeroes ~20 MB per layer again.
 * A workspace is out from its forward to its backward; one whose tape has ended without running
 * its backward (a recorded op off the path to the loss) is taken back at the next forward.
 */
export class WorkspacePool {
  private readonly free: Gpt2Workspace[] = [];
  private outstanding: Gpt2Workspace[] = [];

  take(dims: Gpt2TrunkDims, backend: WasmHeapBackend, tape: unknown): Gpt2Workspace {
    const stale = this.outstanding.filter((w) => w.tape !== tape);
    for (const w of stale) this.give(w);
    const i = this.free.findIndex((w) => w.fits(dims));
    const ws = i >= 0 ? this.free.splice(i, 1)[0]! : new Gpt2Workspace(dims, heapArena(backend));
    ws.generation++;
    ws.tape = tape;
    this.outstanding.push(ws);
    return ws;
  }

  give(ws: Gpt2Workspace): void {
    this.outstanding = this.outstanding.filter((w) => w !== ws);
    this.free.push(ws);
    // Two shapes at most (training and evaluation batches): older ones are freed.
    while (this.free.length > 2) this.free.shift()!.release();
  }

  /** Frees every workspace (the model is being disposed). */
  clear(): void {
    for (const w of [...this.free, ...this.outstanding]) w.release();
    this.free.length = 0;
    this.outstanding = [];
  }
}

/** The trunk's weight names in input order, HF names (gpt2Shapes order). */
export function gpt2TrunkNames(layers: number): string[] {
  const names = ['transformer.wte.weight', 'transformer.wpe.weight'];
  for (let i = 0; i < layers; i++) {
    for (const n of BLOCK_NAMES) names.push(`transformer.h.${i}.${n}`);
  }
  names.push('transformer.ln_f.weight', 'transformer.ln_f.bias');
  return names;
}

const BLOCK_NAMES = [
  'ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias',
  'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias',
] as const;
const BLOCK_FIELDS: (keyof Gpt2BlockArrays)[] = ['ln1g', 'ln1b', 'qkvW', 'qkvB', 'projW', 'projB', 'ln2g', 'ln2b', 'fcW', 'fcB', 'outW', 'outB'];

/** Arrays in gpt2TrunkNames order → the trunk's structure. */
function arrange(arrays: Float32Array[], layers: number): Gpt2TrunkArrays {
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

/**
 * hidden [batch, seq, width] of a gpt2 model through the native trunk, or undefined when the wasm
 * heap cannot hold its workspace (the caller then runs the tfjs ops). `weights` in gpt2TrunkNames
 * order; `inputIds` int32 [batch, seq].
 */
export function gpt2TrunkOp(
  config: ModelConfig, weights: readonly tf.Variable[], inputIds: tf.Tensor2D, kernels: NativeTrunkKernels, pool: WorkspacePool,
): tf.Tensor3D | undefined {
  const [batch, seq] = inputIds.shape;
  const dims = gpt2TrunkDims(config, batch, seq);
  const state = (tf.engine() as unknown as { state: EngineState }).state;
  // Only a recorded op is ever differentiated: otherwise the workspace goes back at once.
  const recording = state.gradientDepth > 0 && state.kernelDepth === 0 && weights.some((v) => v.trainable);
  const { backend } = kernels;
  const views = (ts: readonly TensorInfo[]): Float32Array[] => ts.map((t) => backend.typedArrayFromHeap(t) as Float32Array);
  let ws: Gpt2Workspace;
  try {
    ws = pool.take(dims, backend, recording ? state.activeTape : undefined);
  } catch (e) {
    if (e instanceof HeapAllocationError) return undefined;
    throw e;
  }
  const generation = ws.generation;

  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const inputs = args.slice(0, -1) as tf.Tensor[];
    // A copy of the ids: a few KB, and it survives the heap growing before the backward.
    const ids = Int32Array.from(backend.typedArrayFromHeap(inputs[0]!) as Int32Array);
    const outInfo = backend.makeOutput([batch, seq, dims.width], 'float32');
    // Views after every allocation: growing the wasm memory detaches earlier ones.
    ws.refresh();
    try {
      gpt2TrunkForward(dims, arrange(views(inputs.slice(1)), dims.layers), ids, kernels, ws, views([outInfo])[0]!);
    } finally {
      if (!recording) pool.give(ws);
    }
    const value = tf.engine().makeTensorFromTensorInfo(outInfo) as tf.Tensor3D;
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        if (ws.generation !== generation || !recording) {
          throw new Error('gpt2 trunk: the backward ran after its forward\'s activations were reused (an op differentiated outside the tape it was recorded on)');
        }
        const gradInfos = inputs.slice(1).map((t) => backend.makeOutput([...t.shape], 'float32'));
        const idGrad = tf.zeros(inputIds.shape);
        ws.refresh();
        try {
          const grads = arrange(views(gradInfos), dims.layers);
          gpt2TrunkBackward(dims, arrange(views(inputs.slice(1)), dims.layers), ids, kernels, ws, views([dy])[0]!, grads);
        } finally {
          pool.give(ws);
        }
        return [idGrad, ...gradInfos.map((info) => tf.engine().makeTensorFromTensorInfo(info))];
      },
    };
  });
  return op(inputIds, ...weights) as tf.Tensor3D;
}
