// The independent reference for tiny sizes: straight loops in Float64, no tfjs. Computes the same
// per-token ce and entropy as the heads, and the gradients of
//   L = Σ_t ceWeight_t · ce_t + Σ_t entropyWeight_t · entropy_t
// with respect to hidden [N, H] and weight [V, H], from the textbook formulas
//   d ce/dl_v = p_v − [v = y],   d entropy/dl_v = −p_v (log p_v + entropy).
// Targets outside [0, V) are clamped, as in the heads.

export interface PlainHeadInput {
  /** Row-major [tokens, width]. */
  hidden: ArrayLike<number>;
  /** Row-major [vocab, width]. */
  weight: ArrayLike<number>;
  targets: ArrayLike<number>;
  tokens: number;
  width: number;
  vocab: number;
  /** Upstream weight per token on ce (0 = masked). */
  ceWeight: ArrayLike<number>;
  /** Upstream weight per token on entropy; all zero when omitted. */
  entropyWeight?: ArrayLike<number>;
}

export interface PlainHeadResult {
  ce: Float64Array;
  entropy: Float64Array;
  /** [tokens, width] row-major. */
  hiddenGrad: Float64Array;
  /** [vocab, width] row-major. */
  weightGrad: Float64Array;
  /** The full logits, [tokens, vocab]: tests use their magnitude to scale tolerances. */
  logits: Float64Array;
  /**
   * The largest Σ|term| over the entries of each gradient, with the softmax and one-hot parts of
   * each term counted separately: the size of what was summed, which is what float32 rounding is
   * proportional to (an exact 0 can be a sum of ±1 terms).
   */
  hiddenGradTermScale: number;
  weightGradTermScale: number;
}

export function plainHead(input: PlainHeadInput): PlainHeadResult {
  const { hidden, weight, targets, tokens: n, width: h, vocab: v, ceWeight, entropyWeight } = input;
  const ce = new Float64Array(n);
  const entropy = new Float64Array(n);
  const hiddenGrad = new Float64Array(n * h);
  const weightGrad = new Float64Array(v * h);
  const logits = new Float64Array(n * v);
  const hiddenGradTerms = new Float64Array(n * h);
  const weightGradTerms = new Float64Array(v * h);
  const logp = new Float64Array(v);
  for (let t = 0; t < n; t++) {
    const target = Math.min(Math.max(targets[t]!, 0), v - 1);
    let max = -Infinity;
    for (let j = 0; j < v; j++) {
      let dot = 0;
      for (let k = 0; k < h; k++) dot += hidden[t * h + k]! * weight[j * h + k]!;
      logits[t * v + j] = dot;
      if (dot > max) max = dot;
    }
    let sum = 0;
    for (let j = 0; j < v; j++) sum += Math.exp(logits[t * v + j]! - max);
    const logZ = max + Math.log(sum);
    let ent = 0;
    for (let j = 0; j < v; j++) {
      logp[j] = logits[t * v + j]! - logZ;
      ent -= Math.exp(logp[j]!) * logp[j]!;
    }
    ce[t] = -logp[target]!;
    entropy[t] = ent;
    const gce = ceWeight[t]!;
    const gent = entropyWeight === undefined ? 0 : entropyWeight[t]!;
    for (let j = 0; j < v; j++) {
      const p = Math.exp(logp[j]!);
      const isTarget = j === target ? 1 : 0;
      const dl = gce * (p - isTarget) - gent * p * (logp[j]! + ent);
      // Implementations may sum the softmax part and the one-hot part separately (the fused head
      // does), so the size of what is summed is that of the parts, not of their difference.
      const magnitude = Math.abs(gce) * (p + isTarget) + Math.abs(gent * p * (logp[j]! + ent));
      if (magnitude === 0) continue;
      for (let k = 0; k < h; k++) {
        hiddenGrad[t * h + k] += dl * weight[j * h + k]!;
        weightGrad[j * h + k] += dl * hidden[t * h + k]!;
        hiddenGradTerms[t * h + k] += magnitude * Math.abs(weight[j * h + k]!);
        weightGradTerms[j * h + k] += magnitude * Math.abs(hidden[t * h + k]!);
      }
    }
  }
  const largest = (xs: Float64Array): number => xs.reduce((m, x) => Math.max(m, x), 0);
  return {
    ce, entropy, hiddenGrad, weightGrad, logits,
    hiddenGradTermScale: largest(hiddenGradTerms), weightGradTermScale: largest(weightGradTerms),
  };
}
