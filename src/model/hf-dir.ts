// Loading and saving Hugging Face model directories (config.json + model.safetensors or shards),
// in the layout transformers' save_pretrained writes, so a model trained here loads there with
// AutoModelForCausalLM.from_pretrained(dir).
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { CausalLM } from './types.js';
import type { DType } from './dtype.js';
import { configToJson, readModelConfig } from './config.js';
import { ModelFileError } from './errors.js';
import { buildModel, variableFactory, weightShapes } from './init.js';
import { writeFileAtomic } from '../util/atomic.js';
import { writeSafetensors, type TensorEntry } from './safetensors.js';
import { INDEX_FILE, readWeightsDir, SINGLE_FILE } from './weights-dir.js';

export const CONFIG_FILE = 'config.json';

/** The dtype each weight had on disk, so `saveModel(..., { dtype: 'source' })` can write it back. */
const sourceDtypes = new WeakMap<CausalLM, Map<string, DType>>();

/**
 * Checkpoint names → the names this implementation uses (transformers' own renamings): gpt2 files
 * saved from GPT2Model (the original OpenAI conversion) lack the `transformer.` prefix. Returns
 * undefined for tensors transformers also ignores: causal-mask buffers, rotary caches, and the
 * lm_head copy of a tied embedding.
 */
function canonicalName(name: string, architecture: 'gpt2' | 'llama', tied: boolean): string | undefined {
  if (architecture === 'gpt2') {
    if (/\.attn\.(bias|masked_bias)$/.test(name)) return undefined;
    if (name === 'lm_head.weight') return tied ? undefined : name;
    return name.startsWith('transformer.') ? name : `transformer.${name}`;
  }
  if (name.endsWith('.rotary_emb.inv_freq')) return undefined;
  if (name === 'lm_head.weight' && tied) return undefined;
  return name;
}

/** Loads a gpt2 or llama model; every mismatch between config and weights is listed in one ModelFileError. */
export async function loadModel(dir: string): Promise<CausalLM> {
  if (!existsSync(dir)) throw new ModelFileError(dir, 'model directory not found');
  const config = readModelConfig(dir);
  const tensors = await readWeightsDir(dir);
  const weightsFile = path.join(dir, existsSync(path.join(dir, SINGLE_FILE)) ? SINGLE_FILE : INDEX_FILE);

  const expected = weightShapes(config);
  const found = new Map<string, TensorEntry>();
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const [name, t] of tensors) {
    const canonical = canonicalName(name, config.architecture, config.tieWordEmbeddings);
    if (canonical === undefined) continue;
    seen.add(canonical);
    const shape = expected.get(canonical);
    if (shape === undefined) {
      problems.push(`unexpected tensor "${name}" (not part of a ${config.architecture} model of this config)`);
    } else if (t.dtype !== 'F32' && t.dtype !== 'F16' && t.dtype !== 'BF16') {
      problems.push(`tensor "${name}" is ${t.dtype}; weights must be F32, F16 or BF16`);
    } else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(`tensor "${name}" has shape [${t.shape.join(', ')}], config.json implies [${shape.join(', ')}]`);
    } else {
      found.set(canonical, t);
    }
  }
  const missing = [...expected.keys()].filter((n) => !seen.has(n));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).map((n) => `"${n}"`).join(', ');
    problems.push(`missing ${missing.length} tensor(s): ${shown}${missing.length > 5 ? ', ...' : ''}`);
  }
  if (problems.length > 0) throw new ModelFileError(weightsFile, problems.join('; '));

  const params = new Map<string, tf.Variable>();
  const dtypes = new Map<string, DType>();
  const makeVariable = variableFactory();
  for (const [name, shape] of expected) {
    const t = found.get(name)!;
    params.set(name, makeVariable(t.values as Float32Array, shape, name));
    dtypes.set(name, t.dtype);
  }
  const model = buildModel(config, params);
  sourceDtypes.set(model, dtypes);
  return model;
}

export interface SaveOptions {
  /**
   * Element type on disk. Default F32 (lossless for weights trained here); 'source' writes each
   * weight in the dtype it was loaded with (F32 for a model created here).
   */
  dtype?: 'F32' | 'F16' | 'BF16' | 'source';
  /**
   * The tokenizer's special ids, written as bos_token_id / eos_token_id / pad_token_id. Without them
   * transformers falls back to its config defaults (GPT2Config: 50256), which a model with a small
   * vocabulary does not have, and generate() would never see its end-of-sequence token.
   */
  tokenIds?: { bos?: number; eos?: number; pad?: number };
}

const TORCH_DTYPE: Record<string, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/**
 * Writes config.json and model.safetensors into `dir` (created if needed), each atomically. The
 * tied gpt2 lm_head is not written, as transformers' save_pretrained drops tied copies; the
 * safetensors metadata carries {"format": "pt"}, which transformers requires.
 */
export async function saveModel(model: CausalLM, dir: string, options: SaveOptions = {}): Promise<void> {
  const choice = options.dtype ?? 'F32';
  const loaded = sourceDtypes.get(model);
  const tensors = new Map<string, TensorEntry>();
  const counts = new Map<DType, number>();
  for (const [name, v] of model.params) {
    const dtype: DType = choice === 'source' ? (loaded?.get(name) ?? 'F32') : choice;
    tensors.set(name, { dtype, shape: [...v.shape], values: (await v.data()) as Float32Array });
    counts.set(dtype, (counts.get(dtype) ?? 0) + 1);
  }
  const mostCommon = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32';
  await mkdir(dir, { recursive: true });
  await writeSafetensors(path.join(dir, SINGLE_FILE), tensors, { format: 'pt' });
  const config = configToJson(model.config, TORCH_DTYPE[mostCommon] ?? 'float32');
  const ids = options.tokenIds ?? {};
  if (ids.bos !== undefined) config.bos_token_id = ids.bos;
  if (ids.eos !== undefined) config.eos_token_id = ids.eos;
  if (ids.pad !== undefined) config.pad_token_id = ids.pad;
  await writeFileAtomic(path.join(dir, CONFIG_FILE), JSON.stringify(config, null, 2) + '\n');
}
