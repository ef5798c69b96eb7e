// config.json parsing: the keys read, defaults, and every refusal listed in one error.
import assert from 'node:assert/strict';
import { configToJson, parseConfig } from '../../src/model/config.js';
import { ModelFileError } from '../../src/model/errors.js';

const gpt2Raw = { model_type: 'gpt2', vocab_size: 100, n_embd: 64, n_layer: 3, n_head: 4, n_positions: 256 };
const llamaRaw = {
  model_type: 'llama', vocab_size: 100, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 8,
  intermediate_size: 96, max_position_embeddings: 512,
};

function problems(raw: unknown): string {
  try {
    parseConfig(raw, 'dir/config.json');
  } catch (e) {
    assert.ok(e instanceof ModelFileError);
    assert.equal(e.file, 'dir/config.json');
    return e.message;
  }
  return assert.fail('expected a ModelFileError');
}

describe('model/config', () => {
  it('reads gpt2 keys with HF defaults (n_inner 4·n_embd, eps 1e-5, tied)', () => {
    const c = parseConfig(gpt2Raw, 'x');
    assert.deepEqual(
      [c.architecture, c.vocabSize, c.hiddenSize, c.numLayers, c.numHeads, c.numKvHeads, c.intermediateSize, c.maxPositions, c.tieWordEmbeddings, c.normEps],
      ['gpt2', 100, 64, 3, 4, 4, 256, 256, true, 1e-5],
    );
  });

  it('reads llama keys with HF defaults (kv heads = heads, eps 1e-6, theta 1e4, untied)', () => {
    const c = parseConfig(llamaRaw, 'x');
    assert.deepEqual([c.numKvHeads, c.normEps, c.ropeTheta, c.tieWordEmbeddings], [8, 1e-6, 10000, false]);
    const d = parseConfig({ ...llamaRaw, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 500000, tie_word_embeddings: true }, 'x');
    assert.deepEqual([d.numKvHeads, d.normEps, d.ropeTheta, d.tieWordEmbeddings], [2, 1e-5, 500000, true]);
  });

  it('refuses unsupported model types by name', () => {
    assert.match(problems({ model_type: 'bert' }), /model_type "bert" is not supported/);
    assert.match(problems({}), /model_type undefined is not supported/);
    assert.match(problems([1]), /is not a JSON object/);
  });

  it('lists every missing or bad key at once', () => {
    const message = problems({ model_type: 'llama', vocab_size: 0, hidden_size: 'big', num_hidden_layers: 2 });
    for (const p of [/"vocab_size" must be a positive integer, got 0/, /"hidden_size" must be a positive integer, got "big"/, /missing required key "num_attention_heads"/, /missing required key "intermediate_size"/, /missing required key "max_position_embeddings"/]) {
      assert.match(message, p);
    }
  });

  it('refuses what the models would compute differently', () => {
    assert.match(problems({ ...llamaRaw, rope_scaling: { type: 'llama3', factor: 8 } }), /"rope_scaling".*not supported/);
    assert.match(problems({ ...llamaRaw, attention_bias: true }), /"attention_bias": true is not supported/);
    assert.match(problems({ ...llamaRaw, hidden_act: 'gelu' }), /"hidden_act": "gelu" is not supported/);
    assert.match(problems({ ...llamaRaw, head_dim: 16 }), /"head_dim": 16 differs/);
    assert.match(problems({ ...llamaRaw, num_key_value_heads: 3 }), /8 attention heads are not divisible by 3/);
    assert.match(problems({ ...gpt2Raw, activation_function: 'relu' }), /"activation_function": "relu" is not supported/);
    assert.match(problems({ ...gpt2Raw, scale_attn_by_inverse_layer_idx: true }), /scale_attn_by_inverse_layer_idx/);
    assert.match(problems({ ...gpt2Raw, tie_word_embeddings: false }), /"tie_word_embeddings": false is not supported for gpt2/);
    assert.match(problems({ ...gpt2Raw, n_head: 5 }), /hidden size 64 is not divisible by 5 heads/);
  });

  it('accepts null rope_scaling and explicit defaults', () => {
    assert.doesNotThrow(() => parseConfig({ ...llamaRaw, rope_scaling: null, attention_bias: false, mlp_bias: false, head_dim: 8 }, 'x'));
  });

  it('writes back the original keys with its own set, and parses what it writes', () => {
    const c = parseConfig({ ...llamaRaw, num_key_value_heads: 2, bos_token_id: 1, _name_or_path: 'x' }, 'x');
    const json = configToJson(c, 'bfloat16');
    assert.equal(json.bos_token_id, 1);
    assert.equal(json.torch_dtype, 'bfloat16');
    assert.deepEqual(json.architectures, ['LlamaForCausalLM']);
    const again = parseConfig(json, 'y');
    assert.deepEqual({ ...again, raw: undefined }, { ...c, raw: undefined });
    const g = parseConfig(gpt2Raw, 'x');
    assert.deepEqual({ ...parseConfig(configToJson(g, 'float32'), 'y'), raw: undefined }, { ...g, raw: undefined });
  });
});
