// The loss head's ce on the wasm backend with a system BLAS: logits h·Wᵀ by cblas_sgemm into a
// buffer on the wasm heap, e^(logit − max), its row sum and the target's logit in one SIMD pass per
// row (kernels.c softmax_ce_fwd), the exponentials kept in that buffer unnormalised for the
// backward, which turns them into dce·(e / sum − onehot) in place (softmax_ce_bwd) and multiplies
// twice more. No tfjs kernel runs. The
// buffer is a workspace of the same pool mechanism as the native trunk's (src/backend/heap/).
//
// Why: through tfjs ops the single-chunk head is a Softmax, a Max, a Sub, a gather and a one-hot
// on top of the products, each a pass over [tokens × vocab] on one thread (~50 ms of the `small`
// bench step). Used only where the tfjs path would hold the same [tokens × vocab] buffer (one
// chunk: vocab ≤ the chunk size) and without the entropy; fused-ce.ts stays the path otherwise.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { HeapAllocationError, heapArena, type Arena } from '../backend/heap/arena.js';
import { ArenaWorkspace, engineTape, WorkspacePool } from '../backend/heap/workspace.js';
import type { BlasOnHeap } from '../backend/simd/module.js';

interface HeadDims {
  tokens: number;
  vocab: number;
}

/** One forward's exponentials and per-row statistics, kept on the heap until its backward. */
class HeadWorkspace extends ArenaWorkspace<HeadDims> {
  /** e^(logit − max) of the forward, unnormalised; the logits' gradient after the backward. */
  exps = new Float32Array();
  /** The targets clamped into [0, vocab). */
  targets = new Int32Array();
  max = new Float32Array();
  sum = new Float32Array();
  /** The target's logit of each row. */
  picked = new Float32Array();

  constructor(dims: HeadDims, arena: Arena) {
    super(dims, arena);
    this.add('exps', dims.tokens * dims.vocab);
    this.addInt('targets', dims.tokens);
    for (const field of ['max', 'sum', 'picked']) this.add(field, dims.tokens);
    this.seal();
  }

  fits(dims: HeadDims): boolean {
    return this.dims.tokens === dims.tokens && this.dims.vocab === dims.vocab;
  }
}

const pool = new WorkspacePool<HeadDims, HeadWorkspace>();

/**
 * Per-token ce [N] of softmax(hidden·weightᵀ), differentiable in hidden [N, H] and weight [V, H],
 * or undefined when the wasm heap cannot hold the [N, V] buffer (the caller then runs the tfjs
 * head). Targets outside [0, V) are clamped (their upstream weight is the caller's to zero, as in
 * fused-ce).
 */
export function nativeTokenCe(hidden: tf.Tensor2D, weight: tf.Tensor2D, targets: tf.Tensor1D, k: BlasOnHeap): tf.Tensor1D | undefined {
  const [tokens, width] = hidden.shape;
  const vocab = weight.shape[0];
  const { sgemm, simd, backend } = k;
  const { recording, activeTape } = engineTape();
  const f32 = (info: TensorInfo): Float32Array => backend.typedArrayFromHeap(info) as Float32Array;
  let ws: HeadWorkspace;
  try {
    ws = pool.take({ tokens, vocab }, recording ? activeTape : undefined, activeTape, (dims) => new HeadWorkspace(dims, heapArena(backend)));
  } catch (e) {
    if (e instanceof HeapAllocationError) return undefined;
    throw e;
  }
  const generation = ws.generation;

  const op = tf.customGrad((h: tf.Tensor | tf.GradSaveFunc, w: tf.Tensor | tf.GradSaveFunc, y: tf.Tensor | tf.GradSaveFunc,
    save: tf.Tensor | tf.GradSaveFunc) => {
    const hIn = h as tf.Tensor2D;
    const wIn = w as tf.Tensor2D;
    // Kept alive for the backward by the tape (hidden is usually an intermediate a tidy would free).
    (save as tf.GradSaveFunc)([hIn, wIn]);
    const ceInfo = backend.makeOutput([tokens], 'float32');
    // Views after the allocations (growing the wasm memory detaches earlier ones).
    ws.refresh();
    const given = backend.typedArrayFromHeap(y as tf.Tensor) as Int32Array;
    for (let i = 0; i < tokens; i++) ws.targets[i] = Math.min(Math.max(given[i]!, 0), vocab - 1);
    sgemm(false, true, tokens, vocab, width, 1, f32(hIn), width, f32(wIn), width, 0, ws.exps, vocab);
    simd.softmax_ce_fwd(ws.exps.byteOffset, tokens, vocab, ws.targets.byteOffset, ws.max.byteOffset, ws.sum.byteOffset, ws.picked.byteOffset);
    const ce = f32(ceInfo);
    // (m − z) + log s, as fused-ce.ts: exact for a confident correct prediction, and ≥ 0.
    for (let i = 0; i < tokens; i++) ce[i] = ws.max[i]! - ws.picked[i]! + Math.log(ws.sum[i]!);
    if (!recording) pool.give(ws);
    return {
      value: tf.engine().makeTensorFromTensorInfo(ceInfo) as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [hs, wt] = saved as [tf.Tensor2D, tf.Tensor2D];
        if (ws.generation !== generation || !recording) {
          throw new Error('loss head: the backward ran after its forward\'s buffer was reused (an op differentiated outside the tape it was recorded on)');
        }
        const dhInfo = backend.makeOutput([tokens, width], 'float32');
        const dwInfo = backend.makeOutput([vocab, width], 'float32');
        const targetGrad = tf.zeros([tokens]);
        ws.refresh();
        try {
          // The exponentials become the logits' gradient in place.
          simd.softmax_ce_bwd(ws.exps.byteOffset, tokens, vocab, ws.targets.byteOffset, f32(dy).byteOffset, ws.sum.byteOffset);
          sgemm(false, false, tokens, width, vocab, 1, ws.exps, vocab, f32(wt), width, 0, f32(dhInfo), width);
          sgemm(true, false, vocab, width, tokens, 1, ws.exps, vocab, f32(hs), width, 0, f32(dwInfo), width);
        } finally {
          pool.give(ws);
        }
        return [tf.engine().makeTensorFromTensorInfo(dhInfo), tf.engine().makeTensorFromTensorInfo(dwInfo), targetGrad];
      },
    };
  });
  return op(hidden, weight, targets) as tf.Tensor1D;
}
