// Loading and saving Hugging Face directories: round trips, the layout transformers expects,
// sharded checkpoints, legacy gpt2 names, and one clear error for each way a directory can be wrong.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ModelFileError } from '../../src/model/errors.js';
import { loadModel, saveModel } from '../../src/model/hf-dir.js';
import { createModel } from '../../src/model/init.js';
import { presetConfig } from '../../src/model/presets.js';
import { readSafetensors, writeSafetensors, type TensorEntry } from '../../src/model/safetensors.js';
import type { CausalLM, ModelConfig } from '../../src/model/types.js';
import { FIXTURES, maxAbsDiff, useCpuBackend, useTempDir } from './helpers.js';

const IDS = [[3, 1, 4, 1, 5, 9, 2, 6]];

function logitsOf(model: CausalLM): Float32Array {
  return tf.tidy(() => model.logits(tf.tensor2d(IDS, undefined, 'int32')).dataSync() as Float32Array);
}

const smallLlama: ModelConfig = {
  architecture: 'llama', vocabSize: 20, hiddenSize: 16, numLayers: 1, numHeads: 4, numKvHeads: 2, intermediateSize: 24,
  maxPositions: 32, tieWordEmbeddings: true, normEps: 1e-6, ropeTheta: 10000, raw: { model_type: 'llama', bos_token_id: 1 },
};

/** Copies a fixture directory so a test can damage it. */
function copyFixture(name: string, to: string): string {
  mkdirSync(to, { recursive: true });
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(path.join(FIXTURES, name, f), path.join(to, f));
  return to;
}

async function expectLoadError(dir: string, pattern: RegExp, file?: string): Promise<void> {
  await assert.rejects(loadModel(dir), (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${String(e)}`);
    assert.match(e.message, pattern);
    if (file !== undefined) assert.equal(e.file, file);
    return true;
  });
}

describe('model/hf-dir', () => {
  useCpuBackend();
  const tmp = useTempDir();

  it('saves a created gpt2 and loads it back with identical weights and logits', async () => {
    const model = createModel(presetConfig('tiny', { vocabSize: 40 })!, 7);
    const dir = path.join(tmp(), 'gpt2-roundtrip');
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    assert.deepEqual([...loaded.params.keys()], [...model.params.keys()]);
    for (const [n, v] of model.params) assert.deepEqual(loaded.params.get(n)!.dataSync(), v.dataSync(), n);
    assert.equal(maxAbsDiff(logitsOf(loaded), logitsOf(model)), 0);
    assert.deepEqual(readdirSync(dir).sort(), ['config.json', 'model.safetensors'], 'no temporary files left');
    model.dispose();
    loaded.dispose();
  });

  it('writes the layout transformers loads: prefixed names, no tied lm_head, format=pt, a gpt2 config', async () => {
    const model = createModel(presetConfig('tiny', { vocabSize: 40 })!, 1);
    const dir = path.join(tmp(), 'gpt2-layout');
    await saveModel(model, dir, { tokenIds: { bos: 0, eos: 39, pad: 38 } });
    const file = await readSafetensors(path.join(dir, 'model.safetensors'));
    assert.deepEqual(file.metadata, { format: 'pt' });
    assert.ok(!file.tensors.has('lm_head.weight'));
    assert.deepEqual(file.tensors.get('transformer.h.0.attn.c_attn.weight')!.shape, [128, 384], 'Conv1D [in, out]');
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.equal(config.model_type, 'gpt2');
    assert.deepEqual(config.architectures, ['GPT2LMHeadModel']);
    assert.equal(config.n_embd, 128);
    assert.equal(config.vocab_size, 40);
    assert.equal(config.torch_dtype, 'float32');
    assert.equal(config.tie_word_embeddings, true);
    assert.deepEqual([config.bos_token_id, config.eos_token_id, config.pad_token_id], [0, 39, 38]);
    model.dispose();
  });

  it('round-trips a tied GQA llama, keeping unknown config keys', async () => {
    const model = createModel(smallLlama, 3);
    const dir = path.join(tmp(), 'llama-tied');
    await saveModel(model, dir);
    const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
    assert.equal(config.bos_token_id, 1);
    assert.equal(config.num_key_value_heads, 2);
    assert.ok(!(await readSafetensors(path.join(dir, 'model.safetensors'))).tensors.has('lm_head.weight'));
    const loaded = await loadModel(dir);
    assert.equal(maxAbsDiff(logitsOf(loaded), logitsOf(model)), 0);
    model.dispose();
    loaded.dispose();
  });

  it("saves in the source dtype on request, reproducing the PyTorch-written BF16 file byte for byte", async () => {
    const model = await loadModel(path.join(FIXTURES, 'llama-tiny'));
    const dir = path.join(tmp(), 'llama-source');
    await saveModel(model, dir, { dtype: 'source' });
    assert.ok(readFileSync(path.join(dir, 'model.safetensors')).equals(readFileSync(path.join(FIXTURES, 'llama-tiny', 'model.safetensors'))));
    assert.equal(JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
    model.dispose();
  });

  it('saves as BF16 by rounding each weight', async () => {
    const model = createModel(smallLlama, 4);
    const dir = path.join(tmp(), 'llama-bf16');
    await saveModel(model, dir, { dtype: 'BF16' });
    const file = await readSafetensors(path.join(dir, 'model.safetensors'));
    const w = model.params.get('model.layers.0.mlp.up_proj.weight')!.dataSync();
    const stored = file.tensors.get('model.layers.0.mlp.up_proj.weight')!;
    assert.equal(stored.dtype, 'BF16');
    // BF16 keeps 8 significant bits: rounding moves a value by at most 2^-8 of it; most values do move.
    let changed = 0;
    w.forEach((x, i) => {
      assert.ok(Math.abs(stored.values[i]! - x) <= Math.abs(x) * 2 ** -8, `element ${i}`);
      if (stored.values[i] !== x) changed++;
    });
    assert.ok(changed > 0);
    model.dispose();
  });

  it('loads F16 weights: each weight is the F16 rounding of the F32 original', async () => {
    const whole = await readSafetensors(path.join(FIXTURES, 'gpt2-tiny', 'model.safetensors'));
    const half = new Map<string, TensorEntry>([...whole.tensors].map(([n, t]) => [n, { ...t, dtype: 'F16' }] as [string, TensorEntry]));
    const dir = path.join(tmp(), 'gpt2-f16');
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(FIXTURES, 'gpt2-tiny', 'config.json'), path.join(dir, 'config.json'));
    await writeSafetensors(path.join(dir, 'model.safetensors'), half, { format: 'pt' });
    const model = await loadModel(dir);
    const original = whole.tensors.get('transformer.h.0.attn.c_attn.weight')!.values;
    const loaded = model.params.get('transformer.h.0.attn.c_attn.weight')!.dataSync();
    let changed = 0;
    original.forEach((x, i) => {
      // F16 keeps 11 significant bits: rounding moves a normal value by at most 2^-11 of it.
      assert.ok(Math.abs(loaded[i]! - x) <= Math.abs(x) * 2 ** -11 + 2 ** -25, `element ${i}`);
      if (loaded[i] !== x) changed++;
    });
    assert.ok(changed > 0, 'the weights really went through F16');
    const reference = await loadModel(path.join(FIXTURES, 'gpt2-tiny'));
    const diff = maxAbsDiff(logitsOf(model), logitsOf(reference));
    assert.ok(diff > 0 && diff < 0.05, `F16 logits differ from F32 by ${diff}`);
    model.dispose();
    reference.dispose();
  });

  it('loads a sharded checkpoint (model.safetensors.index.json)', async () => {
    const whole = await readSafetensors(path.join(FIXTURES, 'gpt2-tiny', 'model.safetensors'));
    const dir = path.join(tmp(), 'gpt2-sharded');
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(FIXTURES, 'gpt2-tiny', 'config.json'), path.join(dir, 'config.json'));
    const names = [...whole.tensors.keys()];
    const shards = [names.slice(0, 10), names.slice(10)];
    const weightMap: Record<string, string> = {};
    for (let s = 0; s < shards.length; s++) {
      const file = `model-0000${s + 1}-of-00002.safetensors`;
      await writeSafetensors(path.join(dir, file), new Map(shards[s]!.map((n) => [n, whole.tensors.get(n)!] as [string, TensorEntry])), { format: 'pt' });
      for (const n of shards[s]!) weightMap[n] = file;
    }
    writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }));
    const sharded = await loadModel(dir);
    const single = await loadModel(path.join(FIXTURES, 'gpt2-tiny'));
    assert.equal(maxAbsDiff(logitsOf(sharded), logitsOf(single)), 0);
    sharded.dispose();
    single.dispose();

    // A shard missing, a tensor not where the index says, a shard name escaping the directory.
    const index = path.join(dir, 'model.safetensors.index.json');
    writeFileSync(index, JSON.stringify({ weight_map: { ...weightMap, 'transformer.ln_f.bias': 'model-00003-of-00003.safetensors' } }));
    await expectLoadError(dir, /shard model-00003-of-00003\.safetensors is listed but missing/, index);
    writeFileSync(index, JSON.stringify({ weight_map: { ...weightMap, 'transformer.ln_f.bias': 'model-00001-of-00002.safetensors' } }));
    await expectLoadError(dir, /tensor "transformer\.ln_f\.bias": the index says this shard holds it/, path.join(dir, 'model-00001-of-00002.safetensors'));
    writeFileSync(index, JSON.stringify({ weight_map: { ...weightMap, 'transformer.ln_f.bias': '../model.safetensors' } }));
    await expectLoadError(dir, /not a file name in this directory/, index);
    writeFileSync(index, '{"weight_map": [');
    await expectLoadError(dir, /not readable JSON/, index);
  });

  it('loads a legacy gpt2 checkpoint without the transformer. prefix, with mask buffers and an lm_head copy', async () => {
    const whole = await readSafetensors(path.join(FIXTURES, 'gpt2-tiny', 'model.safetensors'));
    const legacy = new Map<string, TensorEntry>();
    for (const [n, t] of whole.tensors) legacy.set(n.replace(/^transformer\./, ''), t);
    legacy.set('h.0.attn.bias', { dtype: 'F32', shape: [1, 1, 2, 2], values: Float32Array.from([1, 0, 1, 1]) });
    legacy.set('lm_head.weight', whole.tensors.get('transformer.wte.weight')!);
    const dir = path.join(tmp(), 'gpt2-legacy');
    mkdirSync(dir, { recursive: true });
    copyFileSync(path.join(FIXTURES, 'gpt2-tiny', 'config.json'), path.join(dir, 'config.json'));
    await writeSafetensors(path.join(dir, 'model.safetensors'), legacy);
    const model = await loadModel(dir);
    const reference = await loadModel(path.join(FIXTURES, 'gpt2-tiny'));
    assert.ok(model.params.has('transformer.h.1.mlp.c_fc.weight'));
    assert.equal(maxAbsDiff(logitsOf(model), logitsOf(reference)), 0);
    model.dispose();
    reference.dispose();
  });

  describe('errors name the file and what is wrong', () => {
    it('a missing directory, config.json, or weights file', async () => {
      await expectLoadError(path.join(tmp(), 'nowhere'), /model directory not found/);
      const dir = path.join(tmp(), 'no-config');
      mkdirSync(dir, { recursive: true });
      await expectLoadError(dir, /not found: a model directory needs config\.json/, path.join(dir, 'config.json'));
      copyFileSync(path.join(FIXTURES, 'gpt2-tiny', 'config.json'), path.join(dir, 'config.json'));
      await expectLoadError(dir, /no model\.safetensors or model\.safetensors\.index\.json found/, dir);
      writeFileSync(path.join(dir, 'pytorch_model.bin'), '');
      await expectLoadError(dir, /pytorch_model\.bin is PyTorch pickle/, dir);
    });

    it('a config.json that is not JSON or not a supported model', async () => {
      const dir = copyFixture('gpt2-tiny', path.join(tmp(), 'bad-config'));
      const config = path.join(dir, 'config.json');
      writeFileSync(config, '{"model_type": "gpt2",');
      await expectLoadError(dir, /is not valid JSON/, config);
      writeFileSync(config, JSON.stringify({ model_type: 'mistral' }));
      await expectLoadError(dir, /model_type: model_type "mistral" is not supported \(supported: "gpt2", "llama"\)/, config);
    });

    it('a weight of the wrong shape, a missing weight, an unexpected one and an integer one, all at once', async () => {
      const whole = await readSafetensors(path.join(FIXTURES, 'gpt2-tiny', 'model.safetensors'));
      const damaged = new Map(whole.tensors);
      damaged.set('transformer.ln_f.weight', { dtype: 'F32', shape: [31], values: new Float32Array(31) });
      damaged.delete('transformer.h.1.ln_2.bias');
      damaged.set('score.weight', { dtype: 'F32', shape: [1], values: new Float32Array(1) });
      damaged.set('transformer.ln_f.bias', { dtype: 'I32', shape: [32], values: new Int32Array(32) });
      const dir = copyFixture('gpt2-tiny', path.join(tmp(), 'damaged'));
      const file = path.join(dir, 'model.safetensors');
      rmSync(file);
      await writeSafetensors(file, damaged);
      await expectLoadError(dir, /"transformer\.ln_f\.weight" has shape \[31\], config\.json implies \[32\]/, file);
      await expectLoadError(dir, /missing 1 tensor\(s\): "transformer\.h\.1\.ln_2\.bias"/);
      await expectLoadError(dir, /unexpected tensor "score\.weight"/);
      await expectLoadError(dir, /"transformer\.ln_f\.bias" is I32; weights must be F32, F16 or BF16/);
    });

    it('a config whose sizes disagree with the weights', async () => {
      const dir = copyFixture('llama-tiny', path.join(tmp(), 'llama-mismatch'));
      const config = JSON.parse(readFileSync(path.join(dir, 'config.json'), 'utf8'));
      writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, num_key_value_heads: 4 }));
      await expectLoadError(dir, /"model\.layers\.0\.self_attn\.k_proj\.weight" has shape \[16, 32\], config\.json implies \[32, 32\]/);
    });
  });
});
