// AdamW (Loshchilov & Hutter), written out rather than taken from tf.train.adam because tfjs has no
// decoupled weight decay, no per-parameter decay rule and no way to save and restore its moments
// by parameter name. The update is PyTorch's torch.optim.AdamW, step t counted from 1:
//   p ← p − lr·wd·p                          (decoupled decay, only where `decays(p)`)
//   m ← β1·m + (1−β1)·g,   v ← β2·v + (1−β2)·g²
//   p ← p − lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + ε)
// Decay rule: Hugging Face's Trainer default, which decays every parameter except biases and
// LayerNorm/RMSNorm weights; those are exactly the 1-D parameters, so we decay parameters of rank ≥ 2
// (matrices and embeddings) and none of rank ≤ 1.
import * as tf from '@tensorflow/tfjs';
import { adamwInPlace, fusedAdamW } from '../backend/kernels/adamw.js';

export interface AdamWSettings {
  betas: [number, number];
  eps: number;
  weightDecay: number;
}

export interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

/** Whether weight decay applies to a parameter: matrices and embeddings yes, biases and norms no. */
export function decays(param: tf.Tensor): boolean {
  return param.rank >= 2;
}

export class AdamW {
  /** Updates applied so far; the next update uses t = stepCount + 1 for bias correction. */
  stepCount = 0;
  /** True when an update threw part-way: some parameters moved and others not, so the weights are not a state to save. */
  torn = false;
  /** How the last update ran, parameters counted by path (in place, one fused kernel, tfjs ops). */
  lastUpdate = { inPlace: 0, fused: 0, ops: 0 };
  private readonly moments = new Map<string, Moments>();

  constructor(
    private readonly params: Map<string, tf.Variable>,
    readonly settings: AdamWSettings,
  ) {
    for (const [name, p] of params) {
      // tf.variable copies its initial value; tidy disposes the zeros so no tensor leaks per run.
      this.moments.set(
        name,
        tf.tidy(() => ({ m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) })),
      );
    }
  }

  /**
   * Applies one update with learning rate `lr`; grads by parameter name (missing = no gradient),
   * each multiplied by `gradScale` first (gradient clipping, folded into the fused kernel's pass).
   */
  apply(grads: ReadonlyMap<string, tf.Tensor>, lr: number, gradScale = 1): void {
    const t = this.stepCount + 1;
    const [b1, b2] = this.settings.betas;
    const c1 = 1 - b1 ** t;
    const c2 = 1 - b2 ** t;
    this.torn = true;
    const used = { inPlace: 0, fused: 0, ops: 0 };
    tf.tidy(() => {
      for (const [name, p] of this.params) {
        const unscaled = grads.get(name);
        if (unscaled === undefined) continue;
        const { m, v } = this.moments.get(name)!;
        const decay = decays(p) && this.settings.weightDecay !== 0 ? 1 - lr * this.settings.weightDecay : 1;
        const step = { b1, b2, c1, c2, eps: this.settings.eps, lr, decay, gradScale };
        // Written over p, m and v where the backend allows it (wasm), else one kernel per parameter
        // (wasm, cpu: src/backend/kernels/adamw.ts); the ops below are the same update, for other
        // backends and as its reference.
        if (adamwInPlace(p, m, v, unscaled, step)) {
          used.inPlace++;
          continue;
        }
        const fused = fusedAdamW(p, m, v, unscaled, step);
        if (fused !== undefined) {
          m.assign(fused[1]);
          v.assign(fused[2]);
          p.assign(fused[0]);
          used.fused++;
          continue;
        }
        used.ops++;
        const g = gradScale === 1 ? unscaled : unscaled.mul(gradScale);
        const m1 = m.mul(b1).add(g.mul(1 - b1));
        const v1 = v.mul(b2).add(g.square().mul(1 - b2));
        m.assign(m1);
        v.assign(v1);
        const base = decays(p) && this.settings.weightDecay !== 0 ? p.mul(1 - lr * this.settings.weightDecay) : p;
        const update = m1.div(c1).div(v1.div(c2).sqrt().add(this.settings.eps)).mul(lr);
        p.assign(base.sub(update));
      }
    });
    this.stepCount = t;
    this.torn = false;
    this.lastUpdate = used;
  }

  /** The moments under PyTorch's names (`exp_avg.NAME`, `exp_avg_sq.NAME`), read back to the CPU. */
  async exportMoments(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, { m, v }] of this.moments) {
      out.set(`exp_avg.${name}`, { shape: m.shape, data: (await m.data()) as Float32Array });
      out.set(`exp_avg_sq.${name}`, { shape: v.shape, data: (await v.data()) as Float32Array });
    }
    return out;
  }

  /** Restores what exportMoments wrote; returns the problems (missing or mis-shaped entries) instead of throwing. */
  importMoments(tensors: ReadonlyMap<string, { shape: number[]; data: Float32Array }>, stepCount: number): string[] {
    const problems: string[] = [];
    for (const [name, { m, v }] of this.moments) {
      for (const [key, target] of [[`exp_avg.${name}`, m], [`exp_avg_sq.${name}`, v]] as const) {
        const saved = tensors.get(key);
        if (saved === undefined) problems.push(`missing '${key}'`);
        else if (saved.shape.join(',') !== target.shape.join(',')) problems.push(`'${key}' has shape [${saved.shape}], expected [${target.shape}]`);
        else tf.tidy(() => target.assign(tf.tensor(saved.data, saved.shape, 'float32')));
      }
    }
    if (problems.length === 0) this.stepCount = stepCount;
    return problems;
  }

  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }
}
