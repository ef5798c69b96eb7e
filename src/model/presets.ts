// Built-in model shapes for `model { preset = "..." }`: a model small enough to train from scratch
// in tests and examples, and the shapes the benchmarks measure. All are gpt2 (tied embeddings).
import type { ModelConfig } from './types.js';

interface PresetShape {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  maxPositions: number;
  description: string;
}

const PRESETS = {
  tiny: { vocabSize: 1024, hiddenSize: 128, numLayers: 2, numHeads: 4, maxPositions: 128, description: 'examples and tests; pass the tokenizer vocab size' },
  toy: { vocabSize: 1024, hiddenSize: 128, numLayers: 2, numHeads: 4, maxPositions: 512, description: 'benchmark shape "toy"' },
  small: { vocabSize: 8192, hiddenSize: 256, numLayers: 4, numHeads: 8, maxPositions: 512, description: 'benchmark shape "small"' },
} satisfies Record<string, PresetShape>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(name: string): name is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, name);
}

export function presetDescription(name: PresetName): string {
  return PRESETS[name].description;
}

/**
 * The config of a preset; `vocabSize` overrides the preset's (use the tokenizer's, so every token
 * id has an embedding). Undefined for an unknown name: the caller reports it with PRESET_NAMES.
 */
export function presetConfig(name: string, options: { vocabSize?: number } = {}): ModelConfig | undefined {
  if (!isPresetName(name)) return undefined;
  const p = PRESETS[name];
  const vocabSize = options.vocabSize ?? p.vocabSize;
  const config: ModelConfig = {
    architecture: 'gpt2',
    vocabSize,
    hiddenSize: p.hiddenSize,
    numLayers: p.numLayers,
    numHeads: p.numHeads,
    numKvHeads: p.numHeads,
    intermediateSize: 4 * p.hiddenSize,
    maxPositions: p.maxPositions,
    tieWordEmbeddings: true,
    normEps: 1e-5,
    ropeTheta: 0,
    raw: { model_type: 'gpt2', activation_function: 'gelu_new', sftgoc_preset: name },
  };
  return config;
}
