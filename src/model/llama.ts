// Llama (HF LlamaForCausalLM) as a CausalLM: RMSNorm, rotary positions (rotate_half), SwiGLU MLP,
// grouped-query attention, nn.Linear weights stored [out, in], no biases, lm_head tied or not.
import * as tf from '@tensorflow/tfjs';
import { nativeHidden } from './native/architecture.js';
import { LLAMA_NATIVE } from './native/llama-native.js';
import type { LlamaTrunkDims, LlamaWorkspace } from './native/llama-trunk.js';
import { nativeTrunkKernels } from './native/trunk-op.js';
import { WorkspacePool } from '../backend/heap/workspace.js';
import type { CausalLM, ModelConfig } from './types.js';
import { causalAttention, linearOutIn, mergeHeads, projectToVocab, rmsNorm, splitHeads } from './layers.js';
import { applyRope, ropeTables } from './rope.js';

/** Every trainable weight of a llama model, by HF name, with its shape. */
export function llamaShapes(c: ModelConfig): Map<string, number[]> {
  const h = c.hiddenSize;
  const kvWidth = (h / c.numHeads) * c.numKvHeads;
  const shapes = new Map<string, number[]>([['model.embed_tokens.weight', [c.vocabSize, h]]]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `model.layers.${i}.`;
    shapes.set(`${p}input_layernorm.weight`, [h]);
    shapes.set(`${p}self_attn.q_proj.weight`, [h, h]);
    shapes.set(`${p}self_attn.k_proj.weight`, [kvWidth, h]);
    shapes.set(`${p}self_attn.v_proj.weight`, [kvWidth, h]);
    shapes.set(`${p}self_attn.o_proj.weight`, [h, h]);
    shapes.set(`${p}post_attention_layernorm.weight`, [h]);
    shapes.set(`${p}mlp.gate_proj.weight`, [c.intermediateSize, h]);
    shapes.set(`${p}mlp.up_proj.weight`, [c.intermediateSize, h]);
    shapes.set(`${p}mlp.down_proj.weight`, [h, c.intermediateSize]);
  }
  shapes.set('model.norm.weight', [h]);
  if (!c.tieWordEmbeddings) shapes.set('lm_head.weight', [c.vocabSize, h]);
  return shapes;
}

export class LlamaModel implements CausalLM {
  /** The native trunk's reused activation buffers (src/model/native/). */
  private readonly workspaces = new WorkspacePool<LlamaTrunkDims, LlamaWorkspace>();
  /** cos/sin tables by sequence length, kept across steps (a training run uses few lengths). */
  private readonly ropeCache = new Map<number, { cos: tf.Tensor2D; sin: tf.Tensor2D }>();

  constructor(
    readonly config: ModelConfig,
    readonly params: Map<string, tf.Variable>,
  ) {}

  private w<R extends tf.Rank>(name: string): tf.Tensor<R> {
    const v = this.params.get(name);
    if (v === undefined) throw new Error(`llama: weight ${name} is missing`);
    return v as unknown as tf.Tensor<R>;
  }

  private rope(seq: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    let tables = this.ropeCache.get(seq);
    if (tables === undefined) {
      tables = tf.tidy(() => ropeTables(seq, this.config.hiddenSize / this.config.numHeads, this.config.ropeTheta));
      tf.keep(tables.cos);
      tf.keep(tables.sin);
      this.ropeCache.set(seq, tables);
    }
    return tables;
  }

  hidden(inputIds: tf.Tensor2D): tf.Tensor3D {
    const c = this.config;
    const [, seq] = inputIds.shape;
    // With a system BLAS on the wasm backend the whole trunk is one op; these tfjs ops otherwise
    // (also when the wasm heap cannot hold the native trunk's activations).
    const kernels = nativeTrunkKernels();
    if (kernels !== undefined) {
      const hidden = nativeHidden(LLAMA_NATIVE, c, this.params, inputIds, kernels, this.workspaces);
      if (hidden !== undefined) return hidden;
    }
    const { cos, sin } = this.rope(seq);
    return tf.tidy(() => {
      let x: tf.Tensor = tf.gather(this.w<tf.Rank.R2>('model.embed_tokens.weight'), inputIds);
      for (let i = 0; i < c.numLayers; i++) {
        const p = `model.layers.${i}.`;
        const a = rmsNorm(x, this.w(`${p}input_layernorm.weight`), c.normEps);
        const q = applyRope(splitHeads(linearOutIn(a, this.w(`${p}self_attn.q_proj.weight`)), c.numHeads), cos, sin);
        const k = applyRope(splitHeads(linearOutIn(a, this.w(`${p}self_attn.k_proj.weight`)), c.numKvHeads), cos, sin);
        const v = splitHeads(linearOutIn(a, this.w(`${p}self_attn.v_proj.weight`)), c.numKvHeads);
        const attended = mergeHeads(causalAttention(q, k, v));
        x = tf.add(x, linearOutIn(attended, this.w(`${p}self_attn.o_proj.weight`)));
        const m = rmsNorm(x, this.w(`${p}post_attention_layernorm.weight`), c.normEps);
        const gate = linearOutIn(m, this.w(`${p}mlp.gate_proj.weight`));
        // silu(gate) · up; silu(g) = g·sigmoid(g).
        const swiglu = tf.mul(tf.mul(gate, tf.sigmoid(gate)), linearOutIn(m, this.w(`${p}mlp.up_proj.weight`)));
        x = tf.add(x, linearOutIn(swiglu, this.w(`${p}mlp.down_proj.weight`)));
      }
      return rmsNorm(x, this.w('model.norm.weight'), c.normEps) as tf.Tensor3D;
    });
  }

  outputEmbedding(): tf.Tensor2D {
    return this.w<tf.Rank.R2>(this.config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  }

  logits(inputIds: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => projectToVocab(this.hidden(inputIds), this.outputEmbedding()));
  }

  dispose(): void {
    this.workspaces.clear();
    for (const v of this.params.values()) v.dispose();
    for (const t of this.ropeCache.values()) {
      t.cos.dispose();
      t.sin.dispose();
    }
    this.ropeCache.clear();
  }
}
