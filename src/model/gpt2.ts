// GPT-2 (HF GPT2LMHeadModel) as a CausalLM: learned positions, pre-LayerNorm blocks, tanh-GELU MLP,
// Conv1D weights stored [in, out], lm_head tied to the token embedding. Dropout is not applied
// (fine-tuning here runs without it; see docs/models.md).
import * as tf from '@tensorflow/tfjs';
import type { CausalLM, ModelConfig } from './types.js';
import { nativeHidden } from './native/architecture.js';
import { GPT2_NATIVE } from './native/gpt2-native.js';
import type { Gpt2TrunkDims, Gpt2Workspace } from './native/gpt2-trunk.js';
import { nativeTrunkKernels } from './native/trunk-op.js';
import { WorkspacePool } from '../backend/heap/workspace.js';
import { causalAttention, geluErf, geluTanh, layerNorm, linearInOut, mergeHeads, projectToVocab, splitHeads } from './layers.js';

/** Every trainable weight of a gpt2 model, by HF name, with its shape. */
export function gpt2Shapes(c: ModelConfig): Map<string, number[]> {
  const h = c.hiddenSize;
  const shapes = new Map<string, number[]>([
    ['transformer.wte.weight', [c.vocabSize, h]],
    ['transformer.wpe.weight', [c.maxPositions, h]],
  ]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `transformer.h.${i}.`;
    shapes.set(`${p}ln_1.weight`, [h]);
    shapes.set(`${p}ln_1.bias`, [h]);
    shapes.set(`${p}attn.c_attn.weight`, [h, 3 * h]);
    shapes.set(`${p}attn.c_attn.bias`, [3 * h]);
    shapes.set(`${p}attn.c_proj.weight`, [h, h]);
    shapes.set(`${p}attn.c_proj.bias`, [h]);
    shapes.set(`${p}ln_2.weight`, [h]);
    shapes.set(`${p}ln_2.bias`, [h]);
    shapes.set(`${p}mlp.c_fc.weight`, [h, c.intermediateSize]);
    shapes.set(`${p}mlp.c_fc.bias`, [c.intermediateSize]);
    shapes.set(`${p}mlp.c_proj.weight`, [c.intermediateSize, h]);
    shapes.set(`${p}mlp.c_proj.bias`, [h]);
  }
  shapes.set('transformer.ln_f.weight', [h]);
  shapes.set('transformer.ln_f.bias', [h]);
  return shapes;
}

export class Gpt2Model implements CausalLM {
  private readonly activation: (x: tf.Tensor) => tf.Tensor;
  /** The native trunk's reused activation buffers (src/model/native/). */
  private readonly workspaces = new WorkspacePool<Gpt2TrunkDims, Gpt2Workspace>();

  constructor(
    readonly config: ModelConfig,
    readonly params: Map<string, tf.Variable>,
  ) {
    this.activation = config.raw.activation_function === 'gelu' ? geluErf : geluTanh;
  }

  private w<R extends tf.Rank>(name: string): tf.Tensor<R> {
    const v = this.params.get(name);
    if (v === undefined) throw new Error(`gpt2: weight ${name} is missing`);
    return v as unknown as tf.Tensor<R>;
  }

  hidden(inputIds: tf.Tensor2D): tf.Tensor3D {
    const c = this.config;
    const [, seq] = inputIds.shape;
    if (seq > c.maxPositions) throw new Error(`gpt2: sequence length ${seq} exceeds n_positions ${c.maxPositions}`);
    // With a system BLAS on the wasm backend the whole trunk is one op; these tfjs ops otherwise.
    // (Also these ops when the wasm heap cannot hold the native trunk's activations.)
    const kernels = nativeTrunkKernels();
    if (kernels !== undefined) {
      const hidden = nativeHidden(GPT2_NATIVE, c, this.params, inputIds, kernels, this.workspaces);
      if (hidden !== undefined) return hidden;
    }
    return tf.tidy(() => {
      const positions = tf.range(0, seq, 1, 'int32');
      let x = tf.add(tf.gather(this.w<tf.Rank.R2>('transformer.wte.weight'), inputIds), tf.gather(this.w<tf.Rank.R2>('transformer.wpe.weight'), positions));
      for (let i = 0; i < c.numLayers; i++) {
        const p = `transformer.h.${i}.`;
        const a = layerNorm(x, this.w(`${p}ln_1.weight`), this.w(`${p}ln_1.bias`), c.normEps);
        const qkv = linearInOut(a, this.w(`${p}attn.c_attn.weight`), this.w(`${p}attn.c_attn.bias`));
        const [q, k, v] = tf.split(qkv, 3, -1);
        const attended = mergeHeads(causalAttention(splitHeads(q!, c.numHeads), splitHeads(k!, c.numHeads), splitHeads(v!, c.numHeads)));
        x = tf.add(x, linearInOut(attended, this.w(`${p}attn.c_proj.weight`), this.w(`${p}attn.c_proj.bias`)));
        const m = layerNorm(x, this.w(`${p}ln_2.weight`), this.w(`${p}ln_2.bias`), c.normEps);
        const up = this.activation(linearInOut(m, this.w(`${p}mlp.c_fc.weight`), this.w(`${p}mlp.c_fc.bias`)));
        x = tf.add(x, linearInOut(up, this.w(`${p}mlp.c_proj.weight`), this.w(`${p}mlp.c_proj.bias`)));
      }
      return layerNorm(x, this.w('transformer.ln_f.weight'), this.w('transformer.ln_f.bias'), c.normEps) as tf.Tensor3D;
    });
  }

  outputEmbedding(): tf.Tensor2D {
    return this.w<tf.Rank.R2>('transformer.wte.weight');
  }

  logits(inputIds: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => projectToVocab(this.hidden(inputIds), this.outputEmbedding()));
  }

  dispose(): void {
    this.workspaces.clear();
    for (const v of this.params.values()) v.dispose();
  }
}
