// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: when the L2 norm of all
// gradients together exceeds `maxNorm`, every gradient is scaled by maxNorm / (norm + 1e-6).
import * as tf from '@tensorflow/tfjs';
import { wasmHeap } from '../backend/simd/module.js';

/**
 * The L2 norm of all tensors together, read back as a number. On the wasm backend the squares are
 * summed in place on the heap by the SIMD kernel (no kernel dispatch per tensor, no copy).
 */
export function globalNorm(grads: Iterable<tf.Tensor>): number {
  const list = [...grads];
  if (list.length === 0) return 0;
  const heap = wasmHeap();
  if (heap !== undefined && list.every((g) => g.dtype === 'float32')) {
    let total = 0;
    for (const g of list) {
      const view = heap.backend.typedArrayFromHeap(g);
      total += heap.simd.sum_squares(view.byteOffset, view.length);
    }
    return Math.sqrt(total);
  }
  const sq = tf.tidy(() => tf.addN(list.map((g) => g.square().sum())));
  const value = sq.dataSync()[0]!;
  sq.dispose();
  return Math.sqrt(value);
}

/** The norm before clipping and the factor every gradient is to be multiplied by (1: no clipping). */
export function clipScale(grads: ReadonlyMap<string, tf.Tensor>, maxNorm: number): { norm: number; scale: number } {
  const norm = globalNorm(grads.values());
  return { norm, scale: maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1 };
}

/**
 * Returns the clipped gradients (new tensors the caller disposes, or the same ones when no clipping
 * is needed: check with `scale`) and the norm before clipping. maxNorm ≤ 0 disables clipping.
 */
export function clipByGlobalNorm(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
): { grads: Map<string, tf.Tensor>; norm: number; scale: number } {
  const { norm, scale } = clipScale(grads, maxNorm);
  if (scale === 1) return { grads: new Map(grads), norm, scale };
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) clipped.set(name, tf.mul(g, scale));
  return { grads: clipped, norm, scale };
}
