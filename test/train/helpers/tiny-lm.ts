// A deliberately small causal LM for trainer tests: an embedding, one dense tanh layer with a bias,
// tied output. It implements CausalLM exactly, so the trainer cannot tell it from a real model,
// and it runs in milliseconds. Weights come from a seeded generator: same seed, same model.
import * as tf from '@tensorflow/tfjs';
import type { Sample } from '../../../src/data/types.js';
import type { CausalLM, ModelConfig } from '../../../src/model/types.js';
import { mulberry32 } from '../../../src/util/prng.js';

export function tinyLm(seed: number, vocab = 11, hidden = 6): CausalLM {
  const next = mulberry32(seed);
  const init = (shape: number[], scale: number) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return tf.tensor(Array.from({ length: n }, () => (next() * 2 - 1) * scale), shape, 'float32');
  };
  const params = new Map<string, tf.Variable>([
    ['wte.weight', tf.variable(init([vocab, hidden], 0.5))],
    ['dense.weight', tf.variable(init([hidden, hidden], 0.5))],
    ['dense.bias', tf.variable(init([hidden], 0.1))],
  ]);
  const config: ModelConfig = {
    architecture: 'gpt2', vocabSize: vocab, hiddenSize: hidden, numLayers: 1, numHeads: 1, numKvHeads: 1,
    intermediateSize: hidden, maxPositions: 64, tieWordEmbeddings: true, normEps: 1e-5, ropeTheta: 10000, raw: {},
  };
  const model: CausalLM = {
    config,
    params,
    hidden(ids) {
      return tf.tidy(() => {
        const e = tf.gather(params.get('wte.weight')!, ids) as tf.Tensor3D;
        // A causal running mean over positions, so a token's hidden state depends on its prefix:
        // prefix[b,t] = Σ_{s≤t} e[b,s] / (t+1), as a matMul (tfjs's cumsum gradient is wrong on axis 1).
        const [B, T] = ids.shape;
        const avg = tf.linalg.bandPart(tf.ones([T, T]), -1, 0).div(tf.range(1, T + 1).reshape([-1, 1]));
        const eT = e.transpose([0, 2, 1]).reshape([B * hidden, T]);
        const prefix = tf.matMul(eT, avg, false, true).reshape([B, hidden, T]).transpose([0, 2, 1]);
        const h = tf.matMul(prefix.reshape([-1, hidden]), params.get('dense.weight')!).add(params.get('dense.bias')!).tanh();
        return h.reshape([ids.shape[0], ids.shape[1], hidden]) as tf.Tensor3D;
      });
    },
    outputEmbedding: () => params.get('wte.weight')! as unknown as tf.Tensor2D,
    logits(ids) {
      return tf.tidy(() => {
        const h = model.hidden(ids);
        return tf.matMul(h.reshape([-1, hidden]), params.get('wte.weight')!, false, true).reshape([ids.shape[0], ids.shape[1], vocab]) as tf.Tensor3D;
      });
    },
    dispose() {
      for (const v of params.values()) v.dispose();
    },
  };
  return model;
}

/** `count` samples of random lengths; the second half of each sample carries the loss. */
export function tinySamples(count: number, seed: number, vocab = 11, length: [number, number] = [4, 9]): Sample[] {
  const next = mulberry32(seed);
  return Array.from({ length: count }, (_, index) => {
    const n = length[0] + Math.floor(next() * (length[1] - length[0] + 1));
    // A learnable pattern: each token is the previous plus one (mod vocab), from a random start.
    const start = Math.floor(next() * vocab);
    const ids = Array.from({ length: n }, (_, t) => (start + t) % vocab);
    const lossMask = ids.map((_, t) => t >= Math.floor(n / 2));
    lossMask[0] = false;
    return {
      index, ids, lossMask, offsets: ids.map((_, t) => [t, t + 1] as [number, number]), text: 'x'.repeat(n),
      reward: 0, advantage: 0, spanScores: {}, source: { file: 'tiny.jsonl', line: index + 1 },
    };
  });
}
