// Properties of the models that hold for any weights: causality (right padding never changes
// earlier positions), deterministic seeded initialisation with GPT-2 statistics, presets.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createModel, weightShapes } from '../../src/model/init.js';
import { isPresetName, PRESET_NAMES, presetConfig } from '../../src/model/presets.js';
import type { CausalLM, ModelConfig } from '../../src/model/types.js';
import { maxAbsDiff, useCpuBackend } from './helpers.js';

const gpt2: ModelConfig = {
  architecture: 'gpt2', vocabSize: 30, hiddenSize: 16, numLayers: 2, numHeads: 2, numKvHeads: 2, intermediateSize: 32,
  maxPositions: 12, tieWordEmbeddings: true, normEps: 1e-5, ropeTheta: 0, raw: { model_type: 'gpt2' },
};
const llama: ModelConfig = {
  architecture: 'llama', vocabSize: 30, hiddenSize: 16, numLayers: 2, numHeads: 4, numKvHeads: 1, intermediateSize: 24,
  maxPositions: 64, tieWordEmbeddings: false, normEps: 1e-6, ropeTheta: 10000, raw: { model_type: 'llama' },
};

function run(model: CausalLM, ids: number[][]): Float32Array {
  return tf.tidy(() => model.logits(tf.tensor2d(ids, undefined, 'int32')).dataSync() as Float32Array);
}

describe('model/properties', () => {
  useCpuBackend();

  for (const config of [gpt2, llama]) {
    describe(config.architecture, () => {
      let model: CausalLM;
      before(() => {
        model = createModel(config, 11);
      });
      after(() => model.dispose());

      it('is causal: changing tokens from position k on leaves logits before k unchanged', () => {
        const seq = 10;
        const vocab = config.vocabSize;
        const base = [Array.from({ length: seq }, (_, i) => (i * 7 + 3) % vocab)];
        const full = run(model, base);
        for (const k of [1, 4, 9]) {
          const changed = [base[0]!.map((t, i) => (i >= k ? (t + 5) % vocab : t))];
          const other = run(model, changed);
          const before = k * vocab;
          assert.ok(maxAbsDiff(full.subarray(0, before), other.subarray(0, before)) < 1e-6, `positions < ${k} changed`);
          assert.ok(maxAbsDiff(full.subarray(before), other.subarray(before)) > 1e-4, `position ${k} did not change`);
        }
      });

      it('gives a prefix the same logits as the full sequence (right padding is harmless)', () => {
        const ids = [[1, 2, 3, 4, 5, 6, 7, 8]];
        const full = run(model, ids);
        const prefix = run(model, [ids[0]!.slice(0, 5)]);
        assert.ok(maxAbsDiff(prefix, full.subarray(0, 5 * config.vocabSize)) < 1e-5);
      });

      it('treats batch rows independently', () => {
        const a = [2, 4, 6, 8, 10, 12];
        const b = [1, 3, 5, 7, 9, 11];
        const both = run(model, [a, b]);
        const n = a.length * config.vocabSize;
        assert.ok(maxAbsDiff(both.subarray(0, n), run(model, [a])) < 1e-5);
        assert.ok(maxAbsDiff(both.subarray(n), run(model, [b])) < 1e-5);
      });

      it('returns hidden [batch, seq, hidden] and outputEmbedding [vocab, hidden]', () => {
        const h = tf.tidy(() => model.hidden(tf.tensor2d([[1, 2, 3]], undefined, 'int32')));
        assert.deepEqual(h.shape, [1, 3, config.hiddenSize]);
        h.dispose();
        assert.deepEqual(model.outputEmbedding().shape, [config.vocabSize, config.hiddenSize]);
      });

      it('does not leak tensors across forward passes', () => {
        run(model, [[1, 2, 3, 4]]);
        const count = tf.memory().numTensors;
        run(model, [[1, 2, 3, 4]]);
        assert.equal(tf.memory().numTensors, count);
      });
    });
  }

  it('frees every tensor it made on dispose', () => {
    const baseline = tf.memory().numTensors;
    const model = createModel(llama, 3);
    run(model, [[1, 2, 3]]);
    model.dispose();
    assert.equal(tf.memory().numTensors, baseline);
  });

  it('refuses a gpt2 sequence longer than n_positions', () => {
    const model = createModel(gpt2, 1);
    assert.throws(() => model.logits(tf.tensor2d([Array(13).fill(1)], undefined, 'int32')), /sequence length 13 exceeds n_positions 12/);
    model.dispose();
  });

  it('initialises deterministically by seed, with GPT-2 statistics', () => {
    const a = createModel(gpt2, 5);
    const b = createModel(gpt2, 5);
    const c = createModel(gpt2, 6);
    for (const [n, v] of a.params) assert.deepEqual(v.dataSync(), b.params.get(n)!.dataSync(), n);
    const wte = a.params.get('transformer.wte.weight')!.dataSync() as Float32Array;
    assert.notDeepEqual(wte, c.params.get('transformer.wte.weight')!.dataSync());
    assert.notDeepEqual(wte.subarray(0, 16), a.params.get('transformer.wpe.weight')!.dataSync().subarray(0, 16), 'each weight has its own stream');
    const std = (x: Float32Array) => Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
    assert.ok(Math.abs(std(wte) - 0.02) < 0.002, `wte std ${std(wte)}`);
    const proj = a.params.get('transformer.h.0.mlp.c_proj.weight')!.dataSync() as Float32Array;
    assert.ok(Math.abs(std(proj) - 0.02 / Math.sqrt(4)) < 0.002, `c_proj std ${std(proj)} (scaled by 1/sqrt(2 n_layer))`);
    assert.ok(a.params.get('transformer.h.1.ln_2.weight')!.dataSync().every((v) => v === 1));
    assert.ok(a.params.get('transformer.h.1.attn.c_attn.bias')!.dataSync().every((v) => v === 0));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('creates exactly the weights weightShapes lists, untied llama with lm_head', () => {
    const model = createModel(llama, 2);
    const shapes = weightShapes(llama);
    assert.deepEqual([...model.params.keys()], [...shapes.keys()]);
    for (const [n, shape] of shapes) assert.deepEqual(model.params.get(n)!.shape, shape, n);
    assert.deepEqual(shapes.get('model.layers.0.self_attn.k_proj.weight'), [4, 16], 'one kv head of dim 4');
    assert.equal(model.outputEmbedding(), model.params.get('lm_head.weight'));
    model.dispose();
  });

  it('refuses inconsistent shapes', () => {
    assert.throws(() => createModel({ ...llama, numKvHeads: 3 }, 1), /4 attention heads are not divisible by 3 key\/value heads/);
    assert.throws(() => createModel({ ...gpt2, numHeads: 3 }, 1), /hidden size 16 is not divisible by 3 heads/);
  });

  it('has the tiny, toy and small presets with the documented shapes', () => {
    assert.deepEqual(PRESET_NAMES, ['tiny', 'toy', 'small']);
    const tiny = presetConfig('tiny', { vocabSize: 259 })!;
    assert.deepEqual([tiny.vocabSize, tiny.hiddenSize, tiny.numLayers, tiny.numHeads, tiny.maxPositions], [259, 128, 2, 4, 128]);
    const toy = presetConfig('toy')!;
    assert.deepEqual([toy.vocabSize, toy.hiddenSize, toy.numLayers, toy.numHeads], [1024, 128, 2, 4]);
    const small = presetConfig('small')!;
    assert.deepEqual([small.vocabSize, small.hiddenSize, small.numLayers, small.numHeads], [8192, 256, 4, 8]);
    assert.equal(presetConfig('huge'), undefined);
    assert.ok(isPresetName('toy') && !isPresetName('constructor'));
  });
});
