// The reference cache of `reference { train }`: where trained references are kept and the key of
// their inputs. The resolver itself, referenceModelDir, is in src/pipeline.ts (it trains with the
// pipeline): the one function `run`, `eval`, `groups` and `compare` ask for the model whose ce is `ref_ce` (LANGUAGE.md §8, docs/language.md "The
// reference model").
//
//   reference { path = "DIR" }            that directory
//   reference { path = "self" }           the model being trained, at its initial weights (model.path)
//   reference { train = "FILE.sftgo" }    FILE trained first (its own model, data and train blocks)
//                                         into a run directory under the reference cache, named by a
//                                         key of its inputs; a later call with the same inputs
//                                         reuses its final/ model instead of training again
//
// The key hashes what decides the trained weights: the reference objective's sources (its imports
// included), its resolved settings with paths replaced by the content hashes of the files they name
// (data, base model, tokenizer), and the sftgoc version. Editing hq.jsonl or the reference file
// therefore trains a new reference; moving the checkout does not.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageVersion } from '../util/package-root.js';
import { runConfigToJson, type RunConfig } from '../train/config.js';

/** Where trained references are kept: $SFTGOC_CACHE_DIR/references, else ~/.cache/sftgoc/references ($XDG_CACHE_HOME honoured). */
export function referenceCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['SFTGOC_CACHE_DIR'];
  if (explicit !== undefined && explicit !== '') return resolve(explicit, 'references');
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'sftgoc', 'references');
}

/** The content key of a reference's inputs (hex sha-256). Throws when a named file cannot be read. */
export function referenceKey(sources: Record<string, string>, config: RunConfig): string {
  const json = runConfigToJson(config) as { model: Record<string, unknown>; data: Record<string, unknown>; train: Record<string, unknown>; reference?: unknown };
  const { out: _out, backend: _backend, ...train } = json.train;
  const data = { ...json.data, train: contentHash(config.data.train), eval: config.data.eval ? contentHash(config.data.eval) : null, questions: null };
  const model = { path: config.model.path ? contentHash(config.model.path) : null, preset: config.model.preset ?? null, tokenizer: config.model.tokenizer ? contentHash(config.model.tokenizer) : null };
  const input = {
    sftgoc: packageVersion(),
    // The texts, not their paths: the same files elsewhere give the same key.
    sources: Object.values(sources).map((text) => sha256(text)).sort(),
    model, data, train, reference: json.reference ?? null,
  };
  return sha256(JSON.stringify(input));
}

/** sha-256 of a file, or of a directory's regular files (names and contents, sorted by name). */
function contentHash(path: string): string {
  const st = statSync(path);
  if (!st.isDirectory()) return sha256(readFileSync(path));
  const h = createHash('sha256');
  for (const name of readdirSync(path).sort()) {
    const full = join(path, name);
    const s = statSync(full);
    if (!s.isFile()) continue;
    h.update(name).update('\0');
    // Multi-gigabyte weights are keyed by size and modification time rather than read on every run.
    h.update(s.size > 256 * 2 ** 20 ? `${s.size}:${s.mtimeMs}` : sha256(readFileSync(full))).update('\0');
  }
  return h.digest('hex');
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

