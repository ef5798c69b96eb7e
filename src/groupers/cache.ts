// The static-score cache in a run directory's cache/ (CLI.md): one safetensors file per scorer,
// `cache/<label>-<key>.safetensors`, holding the train and eval scores flattened sample after
// sample (each sample contributes ids.length values). The key is a SHA-256 over everything the
// scores depend on: the samples (ids, loss mask, offsets, text, span scores), the tokenizer file,
// the scorer's name and arguments, and, for model-based scorers, the model directory (config.json
// by content, weight files by name, size and modification time: hashing gigabytes of weights on
// every run would cost more than most scorers). A file whose contents do not fit the samples is
// ignored and rewritten, never trusted.
import { createHash, type Hash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from '../data/types.js';
import { readSafetensors, writeSafetensors, type TensorEntry } from '../model/safetensors.js';
import type { SampleScores } from './sample-scores.js';

export interface SplitScores {
  train: SampleScores[];
  eval: SampleScores[];
}

/** Bump when the meaning of cached values changes, so old files stop matching. */
const CACHE_FORMAT = 'sftgoc-scores-1';

function hashSamples(h: Hash, samples: readonly Sample[]): void {
  h.update(`samples ${samples.length}\n`);
  for (const s of samples) {
    h.update(Buffer.from(Int32Array.from(s.ids).buffer));
    h.update(Buffer.from(Uint8Array.from(s.lossMask, (m) => (m ? 1 : 0))));
    h.update(Buffer.from(Int32Array.from(s.offsets.flat()).buffer));
    h.update(`${s.index}\n${s.text.length}\n${s.text}\n${JSON.stringify(s.spanScores)}\n`);
  }
}

/** The tokenizer's identity: its tokenizer.json by content, or its source path when there is none. */
function hashTokenizer(h: Hash, source: string | undefined): void {
  if (source === undefined) return void h.update('tokenizer none\n');
  const file = existsSync(join(source, 'tokenizer.json')) ? join(source, 'tokenizer.json') : source;
  try {
    h.update(readFileSync(file));
  } catch {
    h.update(`tokenizer ${source}\n`);
  }
}

/** A model directory's identity: small files by content, weight files by name, size and mtime. */
export function hashModelDir(h: Hash, dir: string): void {
  h.update(`model ${dir}\n`);
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (!st.isFile()) continue;
    if (name.endsWith('.json') && st.size < 16_000_000) h.update(readFileSync(path));
    else h.update(`${name} ${st.size} ${st.mtimeMs}\n`);
  }
}

export interface CacheKeyParts {
  train: readonly Sample[];
  eval: readonly Sample[];
  tokenizerSource?: string;
  /** The scorer key with every argument (`tfidf(smooth = true, sublinear = false)`) or `ref_ce`. */
  scorer: string;
  /** Model directories the scores come from (llmlingua2's encoder, the reference model). */
  modelDirs?: readonly string[];
}

export function cacheKey(parts: CacheKeyParts): string {
  const h = createHash('sha256');
  h.update(`${CACHE_FORMAT}\n${parts.scorer}\n`);
  hashTokenizer(h, parts.tokenizerSource);
  for (const dir of parts.modelDirs ?? []) hashModelDir(h, dir);
  hashSamples(h, parts.train);
  hashSamples(h, parts.eval);
  return h.digest('hex').slice(0, 16);
}

export function cacheFile(cacheDir: string, label: string, key: string): string {
  return join(cacheDir, `${label.replace(/[^A-Za-z0-9_]/g, '_')}-${key}.safetensors`);
}

function flatten(scores: readonly SampleScores[]): Float32Array {
  const out = new Float32Array(scores.reduce((n, s) => n + s.length, 0));
  let at = 0;
  for (const s of scores) {
    out.set(s, at);
    at += s.length;
  }
  return out;
}

function unflatten(values: Float32Array, samples: readonly Sample[]): SampleScores[] | undefined {
  const total = samples.reduce((n, s) => n + s.ids.length, 0);
  if (values.length !== total) return undefined;
  let at = 0;
  return samples.map((s) => {
    const part = values.slice(at, at + s.ids.length);
    at += s.ids.length;
    return part;
  });
}

/** The cached scores, or undefined when there is no usable file for this key. */
export async function loadCached(file: string, train: readonly Sample[], evalSamples: readonly Sample[]): Promise<SplitScores | undefined> {
  if (!existsSync(file)) return undefined;
  try {
    const { tensors } = await readSafetensors(file);
    const t = tensors.get('train');
    const e = tensors.get('eval');
    if (t === undefined || e === undefined || !(t.values instanceof Float32Array) || !(e.values instanceof Float32Array)) return undefined;
    const trainScores = unflatten(t.values, train);
    const evalScores = unflatten(e.values, evalSamples);
    if (trainScores === undefined || evalScores === undefined) return undefined;
    return { train: trainScores, eval: evalScores };
  } catch {
    return undefined;
  }
}

export async function saveCached(file: string, scores: SplitScores, metadata: Record<string, string>): Promise<void> {
  mkdirSync(join(file, '..'), { recursive: true });
  const entry = (values: Float32Array): TensorEntry => ({ dtype: 'F32', shape: [values.length], values });
  const tensors = new Map<string, TensorEntry>([['train', entry(flatten(scores.train))], ['eval', entry(flatten(scores.eval))]]);
  await writeSafetensors(file, tensors, metadata);
}
