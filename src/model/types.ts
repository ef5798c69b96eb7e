// What the trainer, the loss head and the groupers need from a decoder-only language model.
// Implementations: gpt2.ts and llama.ts; loading and saving Hugging Face directories: hf-dir.ts.
import type * as tf from '@tensorflow/tfjs';

export type Architecture = 'gpt2' | 'llama';

/** The architecture-neutral view of a Hugging Face `config.json`. */
export interface ModelConfig {
  architecture: Architecture;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Grouped-query attention; equal to numHeads for gpt2. */
  numKvHeads: number;
  intermediateSize: number;
  maxPositions: number;
  tieWordEmbeddings: boolean;
  normEps: number;
  /** llama only. */
  ropeTheta: number;
  /** The original config.json, written back unchanged (apart from what we own) on save. */
  raw: Record<string, unknown>;
}

export interface CausalLM {
  readonly config: ModelConfig;
  /** Trainable weights under their Hugging Face names (`transformer.h.0.attn.c_attn.weight`, ...). */
  readonly params: Map<string, tf.Variable>;
  /**
   * Final hidden states after the last norm, [batch, seq, hidden]. `inputIds` is int32 [batch, seq];
   * padding is on the right and causal attention means it never affects earlier positions.
   */
  hidden(inputIds: tf.Tensor2D): tf.Tensor3D;
  /** The output projection [vocab, hidden]: the token embedding when tied. */
  outputEmbedding(): tf.Tensor2D;
  /** Plain logits [batch, seq, vocab]; the unfused reference path and inference. */
  logits(inputIds: tf.Tensor2D): tf.Tensor3D;
  dispose(): void;
}
