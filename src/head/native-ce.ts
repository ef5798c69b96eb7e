// The loss head's ce on the wasm backend with a system BLAS: logits h·Wᵀ by cblas_sgemm into a
// buffer on the wasm heap, softmax and the target's logit in one SIMD pass per row (kernels.c
// softmax_ce_fwd), the probabilities kept in that buffer for the backward, which turns them into
// dce·(p − onehot) in place (softmax_ce_bwd) and multiplies twice more. No tfjs kernel runs.
//
// Why: through tfjs ops the single-chunk head is a Softmax, a Max, a Sub, a gather and a one-hot
// on top of the products, each a pass over [tokens × vocab] on one thread (~50 ms of the `small`
// bench step). Used only where the tfjs path would hold the same [tokens × vocab] buffer (one
// chunk: vocab ≤ the chunk size) and without the entropy; fused-ce.ts stays the path otherwise.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { activeBlas } from '../backend/blas/matmul.js';
import { nativeKernelsEnabled, wasmHeap, type SimdExports, type WasmHeapBackend } from '../backend/simd/module.js';
import type { Sgemm } from '../backend/blas/library.js';

interface EngineState {
  gradientDepth: number;
  kernelDepth: number;
  activeTape: unknown;
}

/** A heap block holding one forward's probabilities and per-row statistics until its backward. */
interface Block {
  pointer: number;
  tape: unknown;
}

/**
 * Blocks whose backward has not run. One recorded on a tape other than the engine's current one can
 * never see its backward (a tape's backward runs before the next tape starts): freed at the next
 * forward.
 */
let outstanding: Block[] = [];

function reclaim(backend: WasmHeapBackend, activeTape: unknown): void {
  for (const b of outstanding.filter((o) => o.tape !== activeTape)) backend.wasm._free(b.pointer);
  outstanding = outstanding.filter((o) => o.tape === activeTape);
}

function release(backend: WasmHeapBackend, block: Block): void {
  backend.wasm._free(block.pointer);
  outstanding = outstanding.filter((o) => o !== block);
}

/** The kernels the native head needs now, or undefined (another backend, no BLAS, no SIMD binary). */
export function nativeHeadKernels(): { sgemm: Sgemm; simd: SimdExports; backend: WasmHeapBackend } | undefined {
  const blas = nativeKernelsEnabled() ? activeBlas() : undefined;
  const heap = blas === undefined ? undefined : wasmHeap();
  return blas === undefined || heap === undefined ? undefined : { sgemm: blas.sgemm, ...heap };
}

/**
 * Per-token ce [N] of softmax(hidden·weightᵀ), differentiable in hidden [N, H] and weight [V, H].
 * Targets outside [0, V) are clamped (their upstream weight is the caller's to zero, as in fused-ce).
 */
export function nativeTokenCe(hidden: tf.Tensor2D, weight: tf.Tensor2D, targets: tf.Tensor1D, k: NonNullable<ReturnType<typeof nativeHeadKernels>>): tf.Tensor1D {
  const [tokens, width] = hidden.shape;
  const vocab = weight.shape[0];
  const { sgemm, simd, backend } = k;
  const state = (tf.engine() as unknown as { state: EngineState }).state;
  const recording = state.gradientDepth > 0 && state.kernelDepth === 0;
  const tape = recording ? state.activeTape : undefined;
  const f32 = (info: TensorInfo): Float32Array => backend.typedArrayFromHeap(info) as Float32Array;

  const op = tf.customGrad((h: tf.Tensor | tf.GradSaveFunc, w: tf.Tensor | tf.GradSaveFunc, y: tf.Tensor | tf.GradSaveFunc,
    save: tf.Tensor | tf.GradSaveFunc) => {
    const hIn = h as tf.Tensor2D;
    const wIn = w as tf.Tensor2D;
    // Kept alive for the backward by the tape (hidden is usually an intermediate a tidy would free).
    (save as tf.GradSaveFunc)([hIn, wIn]);
    reclaim(backend, state.activeTape);
    // One block: probabilities [N, V], then targets (int32), max, sum, picked logit [N each].
    const bytes = 4 * (tokens * vocab + 4 * tokens) + 16;
    const pointer = backend.wasm._malloc(bytes);
    if (pointer === 0) throw new Error(`loss head: the wasm heap could not allocate ${Math.round(bytes / 2 ** 20)} MB`);
    const block: Block = { pointer, tape };
    outstanding.push(block);
    const base = (pointer + 15) & ~15;
    const probsAt = base;
    const targetsAt = probsAt + 4 * tokens * vocab;
    const maxAt = targetsAt + 4 * tokens;
    const sumAt = maxAt + 4 * tokens;
    const pickedAt = sumAt + 4 * tokens;
    const ceInfo = backend.makeOutput([tokens], 'float32');
    // Views after the allocations (growing the wasm memory detaches earlier ones).
    const heap = backend.wasm.HEAPU8.buffer;
    const ids = new Int32Array(heap, targetsAt, tokens);
    const given = backend.typedArrayFromHeap(y as tf.Tensor) as Int32Array;
    for (let i = 0; i < tokens; i++) ids[i] = Math.min(Math.max(given[i]!, 0), vocab - 1);
    const probs = new Float32Array(heap, probsAt, tokens * vocab);
    sgemm(false, true, tokens, vocab, width, 1, f32(hIn), width, f32(wIn), width, 0, probs, vocab);
    simd.softmax_ce_fwd(probsAt, tokens, vocab, targetsAt, maxAt, sumAt, pickedAt);
    const max = new Float32Array(heap, maxAt, tokens);
    const sum = new Float32Array(heap, sumAt, tokens);
    const picked = new Float32Array(heap, pickedAt, tokens);
    const ce = f32(ceInfo);
    // (m − z) + log s, as fused-ce.ts: exact for a confident correct prediction, and ≥ 0.
    for (let i = 0; i < tokens; i++) ce[i] = max[i]! - picked[i]! + Math.log(sum[i]!);
    if (!recording) release(backend, block);
    return {
      value: tf.engine().makeTensorFromTensorInfo(ceInfo) as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [hs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
        if (!outstanding.includes(block)) throw new Error('loss head: the backward ran after its forward\'s buffer was freed (an op differentiated outside the tape it was recorded on)');
        const dhInfo = backend.makeOutput([tokens, width], 'float32');
        const dwInfo = backend.makeOutput([vocab, width], 'float32');
        const targetGrad = tf.zeros([tokens]);
        try {
          const dyView = f32(dy);
          simd.softmax_ce_bwd(probsAt, tokens, vocab, targetsAt, dyView.byteOffset);
          const dLogits = new Float32Array(backend.wasm.HEAPU8.buffer, probsAt, tokens * vocab);
          sgemm(false, false, tokens, width, vocab, 1, dLogits, vocab, f32(ws), width, 0, f32(dhInfo), width);
          sgemm(true, false, vocab, width, tokens, 1, dLogits, vocab, f32(hs), width, 0, f32(dwInfo), width);
        } finally {
          release(backend, block);
        }
        return [tf.engine().makeTensorFromTensorInfo(dhInfo), tf.engine().makeTensorFromTensorInfo(dwInfo), targetGrad];
      },
    };
  });
  return op(hidden, weight, targets) as tf.Tensor1D;
}
