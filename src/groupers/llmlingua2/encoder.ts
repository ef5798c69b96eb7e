// A BERT / XLM-RoBERTa encoder with a token-classification head in TensorFlow.js, for LLMLingua-2's
// keep probabilities. Post-LN layers as in transformers' modeling_bert.py:
//   x = LN(word[id] + position[p] + token_type[0])
//   a = LN(x + Wo·softmax(QKᵀ/√d + mask)·V),   y = LN(a + W2·gelu(W1·a))
//   p_keep = softmax(classifier(y))[1]
// GELU is the exact erf form. The cpu and wasm backends of 4.22 have an Erf kernel; where the active
// backend has none (a tfjs-node build without it, a future backend), erf comes from Abramowitz &
// Stegun 7.1.26 (|error| < 1.5e-7), far inside the 1e-4 the fixture test allows. Weights are [out, in] in the file (torch Linear) and transposed
// once at load, since matMul's transpose flags are slow on wasm (src/head/fused-ce.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelFileError } from '../../model/errors.js';
import { readSafetensors, type TensorEntry } from '../../model/safetensors.js';
import { parseEncoderConfig, type EncoderConfig } from './config.js';

interface Linear {
  /** [in, out]. */
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}
interface Norm {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
}
interface Layer {
  q: Linear;
  k: Linear;
  v: Linear;
  attnOut: Linear;
  attnNorm: Norm;
  up: Linear;
  down: Linear;
  outNorm: Norm;
}

/** erf from Abramowitz & Stegun 7.1.26, for backends without an Erf kernel. */
export function erfApprox(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const sign = tf.sign(x);
    const a = tf.abs(x);
    const t = tf.div(1, tf.add(1, tf.mul(0.3275911, a)));
    let poly = tf.scalar(1.061405429);
    for (const c of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) poly = tf.add(tf.mul(poly, t), c);
    const y = tf.sub(1, tf.mul(tf.mul(poly, t), tf.exp(tf.neg(tf.square(a)))));
    return tf.mul(sign, y);
  });
}

function erf(x: tf.Tensor): tf.Tensor {
  return tf.getKernel('Erf', tf.getBackend()) !== undefined ? tf.erf(x) : erfApprox(x);
}

export function geluExact(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(0.5, x), tf.add(1, erf(tf.mul(x, Math.SQRT1_2)))));
}

export class TokenClassifier {
  private constructor(
    readonly config: EncoderConfig,
    private readonly wordEmb: tf.Tensor2D,
    private readonly posEmb: tf.Tensor2D,
    private readonly typeEmb0: tf.Tensor1D,
    private readonly embNorm: Norm,
    private readonly layers: Layer[],
    private readonly classifier: Linear,
  ) {}

  /** Loads config.json and model.safetensors from a Hugging Face directory. Throws ModelFileError naming the file. */
  static async load(dir: string): Promise<TokenClassifier> {
    const configFile = join(dir, 'config.json');
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      throw new ModelFileError(configFile, `cannot read: ${(e as Error).message}`);
    }
    const config = parseEncoderConfig(raw, configFile);
    const weightsFile = join(dir, 'model.safetensors');
    const { tensors } = await readSafetensors(weightsFile);
    const prefix = ['bert.', 'roberta.', ''].find((p) => tensors.has(`${p}embeddings.word_embeddings.weight`));
    if (prefix === undefined) throw new ModelFileError(weightsFile, 'no embeddings.word_embeddings.weight (with or without a bert./roberta. prefix): not a BERT or XLM-RoBERTa encoder');
    const H = config.hiddenSize;
    const get = (name: string, shape: number[]): TensorEntry => {
      const t = tensors.get(name);
      if (t === undefined) throw new ModelFileError(weightsFile, `missing tensor ${name}`);
      if (t.shape.length !== shape.length || t.shape.some((d, i) => shape[i]! >= 0 && d !== shape[i])) {
        throw new ModelFileError(weightsFile, `tensor ${name} has shape [${t.shape.join(', ')}], expected [${shape.map((d) => (d < 0 ? '?' : d)).join(', ')}]`);
      }
      return t;
    };
    const mat = (name: string, shape: number[]) => {
      const t = get(name, shape);
      return tf.tensor2d(t.values as Float32Array, [t.shape[0]!, t.shape[1]!], 'float32');
    };
    const vec = (name: string, n: number) => tf.tensor1d(get(name, [n]).values as Float32Array, 'float32');
    const linear = (name: string, inDim: number, outDim: number): Linear => {
      const w = mat(`${name}.weight`, [outDim, inDim]);
      const wt = tf.transpose(w) as tf.Tensor2D;
      w.dispose();
      return { w: wt, b: vec(`${name}.bias`, outDim) };
    };
    const norm = (name: string): Norm => ({ gamma: vec(`${name}.weight`, H), beta: vec(`${name}.bias`, H) });
    const e = `${prefix}embeddings`;
    const typeEmb = mat(`${e}.token_type_embeddings.weight`, [config.typeVocabSize, H]);
    const typeEmb0 = tf.tidy(() => tf.reshape(tf.slice(typeEmb, [0, 0], [1, H]), [H]) as tf.Tensor1D);
    typeEmb.dispose();
    const layers: Layer[] = [];
    for (let i = 0; i < config.numLayers; i++) {
      const l = `${prefix}encoder.layer.${i}`;
      layers.push({
        q: linear(`${l}.attention.self.query`, H, H),
        k: linear(`${l}.attention.self.key`, H, H),
        v: linear(`${l}.attention.self.value`, H, H),
        attnOut: linear(`${l}.attention.output.dense`, H, H),
        attnNorm: norm(`${l}.attention.output.LayerNorm`),
        up: linear(`${l}.intermediate.dense`, H, config.intermediateSize),
        down: linear(`${l}.output.dense`, config.intermediateSize, H),
        outNorm: norm(`${l}.output.LayerNorm`),
      });
    }
    const classifier = linear('classifier', H, get('classifier.weight', [-1, H]).shape[0]!);
    if (classifier.w.shape[1] !== 2) throw new ModelFileError(weightsFile, `classifier has ${classifier.w.shape[1]} labels; LLMLingua-2 needs 2 (drop, keep)`);
    return new TokenClassifier(
      config, mat(`${e}.word_embeddings.weight`, [config.vocabSize, H]), mat(`${e}.position_embeddings.weight`, [config.maxPositions, H]),
      typeEmb0, norm(`${e}.LayerNorm`), layers, classifier,
    );
  }

  /** Sub-words a sequence may hold, special tokens included. */
  get maxTokens(): number {
    return this.config.maxPositions - this.config.positionOffset;
  }

  private layerNorm(x: tf.Tensor3D, n: Norm): tf.Tensor3D {
    const { mean, variance } = tf.moments(x, -1, true);
    const normed = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.config.layerNormEps)));
    return tf.add(tf.mul(normed, n.gamma), n.beta) as tf.Tensor3D;
  }

  private dense(x: tf.Tensor3D, l: Linear): tf.Tensor3D {
    const [b, t, d] = x.shape;
    const y = tf.add(tf.matMul(tf.reshape(x, [b * t, d]) as tf.Tensor2D, l.w), l.b);
    return tf.reshape(y, [b, t, l.w.shape[1]]) as tf.Tensor3D;
  }

  /** [batch, seq, 2] logits; `ids` rows are padded with the pad id to one length, `lengths` their real lengths. */
  private logits(ids: tf.Tensor2D, lengths: readonly number[]): tf.Tensor3D {
    const [b, t] = ids.shape;
    const { hiddenSize: H, numHeads } = this.config;
    const dh = H / numHeads;
    const positions = tf.range(this.config.positionOffset, this.config.positionOffset + t, 1, 'int32');
    let x = tf.add(tf.add(tf.gather(this.wordEmb, ids), tf.gather(this.posEmb, positions)), this.typeEmb0) as tf.Tensor3D;
    x = this.layerNorm(x, this.embNorm);
    const keyMask = tf.tensor2d(lengths.flatMap((n) => Array.from({ length: t }, (_, j) => (j < n ? 0 : -1e9))), [b, t]);
    const additive = tf.reshape(keyMask, [b, 1, 1, t]);
    const heads = (y: tf.Tensor3D) => tf.transpose(tf.reshape(y, [b, t, numHeads, dh]), [0, 2, 1, 3]) as tf.Tensor4D;
    for (const layer of this.layers) {
      const q = heads(this.dense(x, layer.q));
      const k = heads(this.dense(x, layer.k));
      const v = heads(this.dense(x, layer.v));
      const scores = tf.add(tf.div(tf.matMul(q, tf.transpose(k, [0, 1, 3, 2])), Math.sqrt(dh)), additive);
      const ctx = tf.matMul(tf.softmax(scores), v);
      const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [b, t, H]) as tf.Tensor3D;
      const attended = this.layerNorm(tf.add(x, this.dense(merged, layer.attnOut)) as tf.Tensor3D, layer.attnNorm);
      const inner = geluExact(this.dense(attended, layer.up)) as tf.Tensor3D;
      x = this.layerNorm(tf.add(attended, this.dense(inner, layer.down)) as tf.Tensor3D, layer.outNorm);
    }
    return this.dense(x, this.classifier);
  }

  /** Keep probability (softmax label 1) of every token of each row; rows may differ in length. */
  keepProbabilities(rows: readonly (readonly number[])[]): Float32Array[] {
    if (rows.length === 0) return [];
    const t = Math.max(1, ...rows.map((r) => r.length));
    if (t > this.maxTokens) throw new Error(`llmlingua2: a sequence of ${t} tokens exceeds the encoder's ${this.maxTokens} positions`);
    const flat = new Int32Array(rows.length * t).fill(this.config.padId);
    rows.forEach((r, i) => r.forEach((id, j) => (flat[i * t + j] = id)));
    const probs = tf.tidy(() => {
      const logits = this.logits(tf.tensor2d(flat, [rows.length, t], 'int32'), rows.map((r) => r.length));
      return tf.softmax(logits).dataSync() as Float32Array;
    });
    return rows.map((r, i) => Float32Array.from(r, (_, j) => probs[(i * t + j) * 2 + 1]!));
  }

  dispose(): void {
    const all: tf.Tensor[] = [this.wordEmb, this.posEmb, this.typeEmb0, this.embNorm.gamma, this.embNorm.beta, this.classifier.w, this.classifier.b];
    for (const l of this.layers) {
      for (const lin of [l.q, l.k, l.v, l.attnOut, l.up, l.down]) all.push(lin.w, lin.b);
      for (const n of [l.attnNorm, l.outNorm]) all.push(n.gamma, n.beta);
    }
    tf.dispose(all);
  }
}
