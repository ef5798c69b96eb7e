// Finding and reading the weights of a Hugging Face model directory: a single `model.safetensors`,
// or shards listed by `model.safetensors.index.json` ({"metadata": {...}, "weight_map": {NAME: FILE}}),
// as transformers writes them above its shard size.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelFileError } from './errors.js';
import { readSafetensors, type TensorEntry } from './safetensors.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** All tensors of the directory, under their names, with their source dtypes. */
export async function readWeightsDir(dir: string): Promise<Map<string, TensorEntry>> {
  const single = path.join(dir, SINGLE_FILE);
  const index = path.join(dir, INDEX_FILE);
  if (existsSync(single)) return (await readSafetensors(single)).tensors;
  if (existsSync(index)) return readSharded(index);
  const hint = existsSync(path.join(dir, 'pytorch_model.bin'))
    ? ' (pytorch_model.bin is PyTorch pickle, which cannot be read safely outside Python: convert it with safetensors.torch.save_file)'
    : '';
  throw new ModelFileError(dir, `no ${SINGLE_FILE} or ${INDEX_FILE} found${hint}`);
}

async function readSharded(indexPath: string): Promise<Map<string, TensorEntry>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (e) {
    throw new ModelFileError(indexPath, `not readable JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    throw new ModelFileError(indexPath, 'has no "weight_map" object');
  }
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    // A shard name is a plain file name in the same directory; anything else is a corrupt or hostile index.
    if (typeof shard !== 'string' || shard === '' || shard !== path.basename(shard) || shard === '.' || shard === '..') {
      throw new ModelFileError(indexPath, `weight_map entry ${JSON.stringify(shard)} is not a file name in this directory`, `tensor "${name}"`);
    }
    const names = byShard.get(shard) ?? [];
    names.push(name);
    byShard.set(shard, names);
  }
  const dir = path.dirname(indexPath);
  const out = new Map<string, TensorEntry>();
  for (const [shard, names] of byShard) {
    const shardPath = path.join(dir, shard);
    if (!existsSync(shardPath)) throw new ModelFileError(indexPath, `shard ${shard} is listed but missing`, `tensor "${names[0]}"`);
    const contents = await readSafetensors(shardPath);
    for (const name of names) {
      const t = contents.tensors.get(name);
      if (t === undefined) throw new ModelFileError(shardPath, `the index says this shard holds it, but it does not`, `tensor "${name}"`);
      out.set(name, t);
    }
  }
  return out;
}
