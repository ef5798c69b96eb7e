// The benchmark's reference configurations (docs/performance.md) and their FLOP counts.
// Shapes match the model presets `toy` and `small` (src/model/presets.ts); `head` is the loss head
// alone (hidden states × output embedding → token ce), fused against unfused.

export type ConfigName = 'toy' | 'small' | 'head';
export type ObjectiveName = 'sft' | 'sftgo';
export type HeadVariant = 'fused' | 'unfused';

export interface ModelBenchConfig {
  kind: 'model';
  name: 'toy' | 'small';
  vocab: number;
  width: number;
  layers: number;
  heads: number;
  seq: number;
  batch: number;
}

export interface HeadBenchConfig {
  kind: 'head';
  name: 'head';
  vocab: number;
  tokens: number;
  width: number;
}

export type BenchConfig = ModelBenchConfig | HeadBenchConfig;

export const CONFIGS: Record<ConfigName, BenchConfig> = {
  toy: { kind: 'model', name: 'toy', vocab: 1024, width: 128, layers: 2, heads: 4, seq: 64, batch: 8 },
  small: { kind: 'model', name: 'small', vocab: 8192, width: 256, layers: 4, heads: 8, seq: 128, batch: 8 },
  head: { kind: 'head', name: 'head', vocab: 32768, tokens: 2048, width: 256 },
};

export const CONFIG_NAMES = Object.keys(CONFIGS) as ConfigName[];

/** The AdamW settings both sides use (the trainer's defaults apart from lr). */
export const OPTIMIZER = { lr: 3e-4, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0.05, clipGrad: 1.0 };

/** SFT-GO as the bench runs it: std/sftgo's TF-IDF grouping with η = 30%, λ = 0.9. */
export const SFTGO_SOURCE = 'objective bench_sftgo\ngroup important = tfidf(top 30%)\nloss = λ·max(groups) + (1-λ)·ce\n';
export const SFT_SOURCE = 'objective bench_sft\nloss = mean(ce)\n';

/**
 * Matrix-product FLOPs of one training step (forward + backward = 3 × forward, 2 FLOPs per
 * multiply-add). Per token and layer: q,k,v,o projections 4d², MLP 8d²; attention scores and the
 * weighted sum 2·seq·d (counted over the full, unmasked seq×seq square as both sides compute it);
 * the tied output projection V·d. Embedding lookups, norms and activations are not counted.
 */
export function stepFlops(c: BenchConfig): number {
  if (c.kind === 'head') return 3 * 2 * c.tokens * c.vocab * c.width;
  const tokens = c.batch * c.seq;
  const perTokenMacs = c.layers * (12 * c.width * c.width + 2 * c.seq * c.width) + c.vocab * c.width;
  return 3 * 2 * perTokenMacs * tokens;
}

export function stepTokens(c: BenchConfig): number {
  return c.kind === 'head' ? c.tokens : c.batch * c.seq;
}

/**
 * The plain 2-D matMul whose FLOP/s is the backend's reference speed: the model's largest
 * per-layer product ([tokens, d] × [d, 4d], the MLP's up projection) or, for the head, a vocabulary chunk.
 */
export function referenceMatMulShape(c: BenchConfig): [number, number, number] {
  if (c.kind === 'head') return [c.tokens, c.width, 8192];
  return [c.batch * c.seq, c.width, 4 * c.width];
}
