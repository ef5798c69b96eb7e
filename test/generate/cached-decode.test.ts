// The cached decoder (src/model/decode/) against the tfjs ops' full recompute: at every step of a
// greedy decode, the logits after the newest token from the cache must equal the last position of
// model.logits() over the whole sequence so far (computed from scratch, no cache, by the tfjs ops
// of gpt2.ts / llama.ts), within 1e-4; prompts of different lengths decode in one batch. Swept over
// gpt2 (both GELUs) and llama (grouped-query heads, untied head), and over plain-loop and BLAS products.
import assert from 'node:assert/strict';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Sgemm } from '../../src/backend/blas/library.js';
import { plainSgemm } from '../../src/backend/blas/plain-sgemm.js';
import { argmax } from '../../src/generate/sampling.js';
import { cachedDecoder } from '../../src/model/decode/cached-forward.js';
import { createModel } from '../../src/model/init.js';
import { loadModel } from '../../src/model/index.js';
import type { CausalLM, ModelConfig } from '../../src/model/types.js';
import { assertClose, BLAS, seeded } from '../backend/helpers.js';
import { FIXTURES, useCpuBackend } from '../model/helpers.js';

const LOGIT_TOL = { abs: 1e-4, rel: 1e-4 };

interface Case {
  name: string;
  config: ModelConfig;
}

function config(arch: 'gpt2' | 'llama', o: { width: number; heads: number; kvHeads?: number; layers: number; vocab: number; activation?: string; untied?: boolean }): ModelConfig {
  const common = { vocabSize: o.vocab, hiddenSize: o.width, numLayers: o.layers, numHeads: o.heads, intermediateSize: 2 * o.width + 4, maxPositions: 24, normEps: 1e-5 };
  return arch === 'gpt2'
    ? { ...common, architecture: 'gpt2', numKvHeads: o.heads, tieWordEmbeddings: true, ropeTheta: 0, raw: { model_type: 'gpt2', activation_function: o.activation ?? 'gelu_new' } }
    : { ...common, architecture: 'llama', numKvHeads: o.kvHeads ?? o.heads, tieWordEmbeddings: o.untied !== true, ropeTheta: 10000, raw: { model_type: 'llama' } };
}

const CASES: Case[] = [
  { name: 'gpt2, gelu_new, 2 layers', config: config('gpt2', { width: 16, heads: 4, layers: 2, vocab: 23 }) },
  { name: 'gpt2, exact gelu, 1 head', config: config('gpt2', { width: 8, heads: 1, layers: 3, vocab: 17, activation: 'gelu' }) },
  { name: 'llama, 4 heads over 2 kv heads', config: config('llama', { width: 16, heads: 4, kvHeads: 2, layers: 2, vocab: 19 }) },
  { name: 'llama, one kv head, untied head', config: config('llama', { width: 12, heads: 3, kvHeads: 1, layers: 1, vocab: 13, untied: true }) },
];

/** Norms and biases random too: the initialisation's ones and zeros would hide a wrong term. */
function randomModel(c: ModelConfig, seed: number): CausalLM {
  const model = createModel(c, seed);
  let i = 0;
  for (const [name, v] of model.params) {
    v.assign(tf.tensor(seeded(v.size, seed * 100 + i++), v.shape).mul(/ln_|bias|norm/.test(name) ? 0.3 : 0.6).add(/(ln_|norm).*weight/.test(name) ? 1 : 0));
  }
  return model;
}

function weightsOf(model: CausalLM): Map<string, Float32Array> {
  return new Map([...model.params].map(([n, v]) => [n, Float32Array.from(v.dataSync() as Float32Array)]));
}

/** The last position's logits of the whole sequence, recomputed from scratch by the tfjs ops. */
function fullLogits(model: CausalLM, ids: readonly number[]): Float32Array {
  return tf.tidy(() => {
    const logits = model.logits(tf.tensor2d([...ids], [1, ids.length], 'int32'));
    return logits.slice([0, ids.length - 1, 0], [1, 1, -1]).dataSync() as Float32Array;
  });
}

const PRODUCTS: Array<[string, Sgemm]> = [['plain-loop products', plainSgemm]];
if (BLAS.ok) PRODUCTS.push([`BLAS products (${BLAS.blas.library})`, BLAS.blas.sgemm]);

/** Greedy decode of `prompts` in one batch, checking every step's cached logits against the recompute. */
function checkGreedy(model: CausalLM, prompts: number[][], steps: number, sgemm: Sgemm): number[][] {
  const decoder = cachedDecoder(model.config, weightsOf(model), sgemm);
  decoder.begin(prompts.length, Math.max(...prompts.map((p) => p.length)) + steps);
  const seqs = prompts.map((p) => [...p]);
  let logits = decoder.append(prompts.map((ids, row) => ({ row, ids })));
  for (let step = 0; step < steps; step++) {
    seqs.forEach((seq, row) => assertClose(logits[row]!, fullLogits(model, seq), LOGIT_TOL, `row ${row}, step ${step}`));
    const next = logits.map((l) => argmax(l));
    next.forEach((id, row) => seqs[row]!.push(id));
    if (step + 1 < steps) logits = decoder.append(next.map((id, row) => ({ row, ids: [id] })));
  }
  return seqs;
}

describe('generate: cached decode against the tfjs ops\' full recompute', () => {
  useCpuBackend();

  for (const [products, sgemm] of PRODUCTS) {
    for (const [i, c] of CASES.entries()) {
      it(`${c.name}, ${products}: logits within 1e-4 at every step, prompts of 1, 4 and 7 tokens in one batch`, () => {
        const model = randomModel(c.config, 11 + i);
        try {
          const v = c.config.vocabSize;
          const prompts = [[3 % v], [1, 5, 2, 7].map((x) => x % v), [4, 4, 9, 0, 2, 6, 1].map((x) => x % v)];
          checkGreedy(model, prompts, 8, sgemm);
        } finally {
          model.dispose();
        }
      });
    }
  }

  for (const fixture of ['gpt2-tiny', 'llama-tiny']) {
    it(`${fixture} (weights as stored on disk): logits within 1e-4 at every step`, async () => {
      const model = await loadModel(path.join(FIXTURES, fixture));
      try {
        checkGreedy(model, [[1, 2, 3], [7, 8, 9, 10, 11], [5]], 6, PRODUCTS.at(-1)![1]);
      } finally {
        model.dispose();
      }
    });
  }

  it('the samples of one prompt copy its prefill: a copied row decodes as the original', () => {
    const model = randomModel(CASES[2]!.config, 5);
    try {
      const decoder = cachedDecoder(model.config, weightsOf(model), plainSgemm);
      decoder.begin(2, 10);
      const [first] = decoder.append([{ row: 0, ids: [1, 2, 3] }]);
      decoder.copyRow(0, 1);
      const [a, b] = decoder.append([{ row: 0, ids: [4] }, { row: 1, ids: [4] }]);
      assert.deepEqual([...a!], [...b!]);
      assertClose(a!, fullLogits(model, [1, 2, 3, 4]), LOGIT_TOL, 'copied row');
      assert.ok(first !== undefined);
    } finally {
      model.dispose();
    }
  });

  it('refuses a row past its capacity and an id outside the vocabulary', () => {
    const model = randomModel(CASES[0]!.config, 2);
    try {
      const decoder = cachedDecoder(model.config, weightsOf(model), plainSgemm);
      decoder.begin(1, 3);
      assert.throws(() => decoder.append([{ row: 0, ids: [1, 2, 3, 4] }]), /over the cache's 3/);
      assert.throws(() => decoder.append([{ row: 0, ids: [99] }]), /outside the vocabulary/);
    } finally {
      model.dispose();
    }
  });
});
