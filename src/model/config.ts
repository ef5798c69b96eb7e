// Hugging Face config.json ⇄ ModelConfig. Only gpt2 and llama (and llama-shaped configs that need
// nothing more) are accepted; anything the models would silently compute differently (bias terms,
// rope scaling, other activations) is refused with the key named, rather than trained wrongly.
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import type { Architecture, ModelConfig } from './types.js';
import { ModelFileError } from './errors.js';

type Raw = Record<string, unknown>;

/**
 * Largest value accepted for each size in config.json. A typo such as `"n_layer": 1000000000` is
 * refused here, naming the file and key, instead of allocating until the process dies.
 */
export const CONFIG_LIMITS: Record<string, number> = {
  vocab_size: 1 << 20,
  n_embd: 1 << 16, hidden_size: 1 << 16,
  n_layer: 1024, num_hidden_layers: 1024,
  n_head: 1024, num_attention_heads: 1024, num_key_value_heads: 1024,
  n_inner: 1 << 18, intermediate_size: 1 << 18,
  n_positions: 1 << 20, max_position_embeddings: 1 << 20,
};

/** Float32 weights, gradients and two Adam moments: 16 bytes a parameter while training. */
export const TRAINING_BYTES_PER_PARAM = 16;

/** Parameters of a model of this shape (embeddings, attention, MLP, norms; an untied head counted). */
export function parameterCount(c: ModelConfig): number {
  const h = c.hiddenSize;
  const kv = c.numHeads > 0 ? (h / c.numHeads) * c.numKvHeads : h;
  const attention = h * h * 2 + h * kv * 2;
  const mlp = c.architecture === 'llama' ? 3 * h * c.intermediateSize : 2 * h * c.intermediateSize;
  const embeddings = c.vocabSize * h * (c.tieWordEmbeddings ? 1 : 2) + (c.architecture === 'gpt2' ? c.maxPositions * h : 0);
  return embeddings + c.numLayers * (attention + mlp + 4 * h);
}

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly raw: Raw) {}

  int(key: string, fallback?: number): number {
    const v = this.raw[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      this.problems.push(`missing required key "${key}"`);
      return 0;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      this.problems.push(`"${key}" must be a positive integer, got ${JSON.stringify(v)}`);
      return 0;
    }
    const limit = CONFIG_LIMITS[key];
    if (limit !== undefined && v > limit) {
      this.problems.push(`"${key}": ${v} is larger than sftgoc supports (at most ${limit})`);
      return 0;
    }
    return v;
  }

  num(key: string, fallback: number): number {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      this.problems.push(`"${key}" must be a positive number, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') {
      this.problems.push(`"${key}" must be true or false, got ${JSON.stringify(v)}`);
      return fallback;
    }
    return v;
  }

  /** A key whose non-default values this implementation does not compute. */
  refuse(key: string, allowed: (v: unknown) => boolean, why: string): void {
    const v = this.raw[key];
    if (v !== undefined && v !== null && !allowed(v)) this.problems.push(`"${key}": ${JSON.stringify(v)} is not supported (${why})`);
  }
}

export const GPT2_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'gelu'] as const;

/**
 * DIR/config.json read and parsed: for loading a model, and for the commands that only need its
 * shape (positions, vocabulary, widths) without loading weights or TensorFlow.js. Every problem is a
 * ModelFileError naming the file.
 */
export function readModelConfig(dir: string): ModelConfig {
  const file = join(dir, 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFileError(file, code === 'ENOENT' ? 'not found: a model directory needs config.json' : `cannot read: ${code ?? String(e)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ModelFileError(file, `is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseConfig(raw, file);
}

/** Parses config.json contents; `file` names it in the error, which lists every problem at once. */
export function parseConfig(raw: unknown, file: string): ModelConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ModelFileError(file, 'is not a JSON object');
  const r = raw as Raw;
  const modelType = r.model_type;
  let architecture: Architecture;
  if (modelType === 'gpt2') architecture = 'gpt2';
  else if (modelType === 'llama') architecture = 'llama';
  else {
    throw new ModelFileError(file, `model_type ${JSON.stringify(modelType)} is not supported (supported: "gpt2", "llama")`, 'model_type');
  }
  const read = new Reader(r);
  let config: ModelConfig;
  if (architecture === 'gpt2') {
    const hiddenSize = read.int('n_embd');
    read.refuse('activation_function', (v) => (GPT2_ACTIVATIONS as readonly unknown[]).includes(v), `supported: ${GPT2_ACTIVATIONS.join(', ')}`);
    read.refuse('scale_attn_by_inverse_layer_idx', (v) => v === false, 'attention is scaled by 1/sqrt(head_dim) only');
    read.refuse('scale_attn_weights', (v) => v === true, 'attention is always scaled');
    read.refuse('add_cross_attention', (v) => v === false, 'decoder-only models only');
    config = {
      architecture,
      vocabSize: read.int('vocab_size'),
      hiddenSize,
      numLayers: read.int('n_layer'),
      numHeads: read.int('n_head'),
      numKvHeads: read.int('n_head'),
      intermediateSize: read.int('n_inner', 4 * hiddenSize),
      maxPositions: read.int('n_positions'),
      tieWordEmbeddings: read.bool('tie_word_embeddings', true),
      normEps: read.num('layer_norm_epsilon', 1e-5),
      ropeTheta: 0,
      raw: r,
    };
    if (!config.tieWordEmbeddings) read.problems.push('"tie_word_embeddings": false is not supported for gpt2 (its lm_head is the token embedding)');
  } else {
    const numHeads = read.int('num_attention_heads');
    read.refuse('hidden_act', (v) => v === 'silu', 'the MLP is SwiGLU with silu');
    read.refuse('attention_bias', (v) => v === false, 'llama projections have no bias here');
    read.refuse('mlp_bias', (v) => v === false, 'llama projections have no bias here');
    read.refuse('rope_scaling', () => false, 'only plain rotary positions');
    config = {
      architecture,
      vocabSize: read.int('vocab_size'),
      hiddenSize: read.int('hidden_size'),
      numLayers: read.int('num_hidden_layers'),
      numHeads,
      numKvHeads: read.int('num_key_value_heads', numHeads),
      intermediateSize: read.int('intermediate_size'),
      maxPositions: read.int('max_position_embeddings'),
      tieWordEmbeddings: read.bool('tie_word_embeddings', false),
      normEps: read.num('rms_norm_eps', 1e-6),
      ropeTheta: read.num('rope_theta', 10000),
      raw: r,
    };
    const headDim = r.head_dim;
    if (headDim !== undefined && headDim !== null && config.numHeads > 0 && headDim !== config.hiddenSize / config.numHeads) {
      read.problems.push(`"head_dim": ${JSON.stringify(headDim)} differs from hidden_size / num_attention_heads, which is not supported`);
    }
  }
  read.problems.push(...shapeProblems(config));
  if (read.problems.length === 0) {
    // Before anything is allocated: a model that cannot fit in this machine's memory while training.
    const bytes = parameterCount(config) * TRAINING_BYTES_PER_PARAM;
    if (bytes > totalmem()) {
      const gb = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
      read.problems.push(`a model of this shape has ${(parameterCount(config) / 1e6).toFixed(0)}M parameters and needs ~${gb(bytes)} to train, more than this machine's ${gb(totalmem())} of memory`);
    }
  }
  if (read.problems.length > 0) throw new ModelFileError(file, read.problems.join('; '));
  return config;
}

/** Divisibility rules both architectures need; empty when the shapes are consistent. */
export function shapeProblems(c: ModelConfig): string[] {
  const out: string[] = [];
  if (c.numHeads > 0 && c.hiddenSize % c.numHeads !== 0) out.push(`hidden size ${c.hiddenSize} is not divisible by ${c.numHeads} heads`);
  if (c.numKvHeads > 0 && c.numHeads % c.numKvHeads !== 0) out.push(`${c.numHeads} attention heads are not divisible by ${c.numKvHeads} key/value heads`);
  if (c.architecture === 'llama' && c.numHeads > 0 && (c.hiddenSize / c.numHeads) % 2 !== 0) out.push(`head dimension ${c.hiddenSize / c.numHeads} must be even for rotary positions`);
  return out;
}

/**
 * The config.json to write for `config`: its original keys, with the ones this implementation owns
 * set from `config`, so that transformers builds the same model (AutoModelForCausalLM).
 */
export function configToJson(config: ModelConfig, torchDtype: string): Raw {
  const owned: Raw =
    config.architecture === 'gpt2'
      ? {
          model_type: 'gpt2',
          architectures: ['GPT2LMHeadModel'],
          vocab_size: config.vocabSize,
          n_embd: config.hiddenSize,
          n_layer: config.numLayers,
          n_head: config.numHeads,
          n_inner: config.intermediateSize,
          n_positions: config.maxPositions,
          n_ctx: config.maxPositions,
          layer_norm_epsilon: config.normEps,
          activation_function: (config.raw.activation_function as string | undefined) ?? 'gelu_new',
          tie_word_embeddings: true,
        }
      : {
          model_type: 'llama',
          architectures: ['LlamaForCausalLM'],
          vocab_size: config.vocabSize,
          hidden_size: config.hiddenSize,
          num_hidden_layers: config.numLayers,
          num_attention_heads: config.numHeads,
          num_key_value_heads: config.numKvHeads,
          intermediate_size: config.intermediateSize,
          max_position_embeddings: config.maxPositions,
          rms_norm_eps: config.normEps,
          rope_theta: config.ropeTheta,
          hidden_act: 'silu',
          attention_bias: false,
          mlp_bias: false,
          tie_word_embeddings: config.tieWordEmbeddings,
        };
  return { ...config.raw, ...owned, torch_dtype: torchDtype };
}
