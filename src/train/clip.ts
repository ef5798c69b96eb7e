// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_: when the L2 norm of all
// gradients together exceeds `maxNorm`, every gradient is scaled by maxNorm / (norm + 1e-6).
import * as tf from '@tensorflow/tfjs';

/** The L2 norm of all tensors together, read back as a number. */
export function globalNorm(grads: Iterable<tf.Tensor>): number {
  const list = [...grads];
  if (list.length === 0) return 0;
  const sq = tf.tidy(() => tf.addN(list.map((g) => g.square().sum())));
  const value = sq.dataSync()[0]!;
  sq.dispose();
  return Math.sqrt(value);
}

/**
 * Returns the clipped gradients (new tensors the caller disposes, or the same ones when no clipping
 * is needed: check with `scale`) and the norm before clipping. maxNorm ≤ 0 disables clipping.
 */
export function clipByGlobalNorm(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
): { grads: Map<string, tf.Tensor>; norm: number; scale: number } {
  const norm = globalNorm(grads.values());
  const scale = maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  if (scale === 1) return { grads: new Map(grads), norm, scale };
  const clipped = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) clipped.set(name, tf.mul(g, scale));
  return { grads: clipped, norm, scale };
}
