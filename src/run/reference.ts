// The reference model directory of an objective: the one function `run`, `eval`, `groups` and
// `compare` ask for the model whose ce is `ref_ce` (LANGUAGE.md §8, docs/language.md "The
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
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { packageRoot, packageVersion } from '../check/host.js';
import { renderCompiled } from '../app/compile.js';
import { silentReporter, type Reporter } from '../train/reporter.js';
import { resolveRunConfig, runConfigToJson, type ReferenceSettings, type RunConfig } from '../train/config.js';

export interface ReferenceIo {
  /** One line of news: reusing, training (with where), done. */
  log(line: string): void;
  /** The training progress of a reference being trained (the calling command's reporter). */
  reporter?: Reporter;
  /** The tfjs backend to train with (--backend, else the reference file's train.backend). */
  backend?: string;
  /** Stop training the reference (Ctrl-C); a stopped reference is resumed by the next call. */
  shouldStop?: (step: number) => boolean;
}

export type ReferenceDir = { ok: true; dir: string | undefined } | { ok: false; messages: string[] };

/**
 * The directory of the reference model for `config` (undefined when it declares none), training
 * it first when `reference { train }` names an objective whose trained model is not cached yet.
 */
export async function referenceModelDir(config: Pick<RunConfig, 'reference' | 'model'>, io: ReferenceIo): Promise<ReferenceDir> {
  const ref = config.reference;
  if (ref === undefined) return { ok: true, dir: undefined };
  if ('path' in ref) return { ok: true, dir: ref.path };
  if ('self' in ref) {
    if (config.model.path === undefined) {
      return { ok: false, messages: [`reference { path = "self" } is the model being trained at its initial weights, but the model is preset ${config.model.preset} (random weights, no directory); name a model { path = "DIR" }`] };
    }
    return { ok: true, dir: config.model.path };
  }
  return trainedReference(ref.train, io);
}

/** The reference objectives being trained in this process, outermost first: a cycle is refused, not recursed into. */
const training: string[] = [];

/** Where trained references are kept: $SFTGOC_CACHE_DIR/references, else ~/.cache/sftgoc/references ($XDG_CACHE_HOME honoured). */
export function referenceCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env['SFTGOC_CACHE_DIR'];
  if (explicit !== undefined && explicit !== '') return resolve(explicit, 'references');
  const xdg = env['XDG_CACHE_HOME'];
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.cache'), 'sftgoc', 'references');
}

async function trainedReference(file: string, io: ReferenceIo): Promise<ReferenceDir> {
  // Imported lazily: the pipeline imports this module, and eval/groups need it only for `train`.
  const { compileObjective, runPipeline } = await import('../pipeline.js');
  if (training.includes(file)) return { ok: false, messages: [`reference { train = "${file}" }: the reference objectives train each other in a cycle (${[...training, file].join(' -> ')})`] };
  const compiled = compileObjective({ file, compile: { overrides: [] } });
  if (!compiled.ok) {
    const lines = compiled.kind === 'diagnostics' ? [renderCompiled(compiled.compiled, true)] : compiled.messages;
    return { ok: false, messages: [`reference { train = "${file}" }: the reference objective does not compile:`, ...lines] };
  }
  const { objective } = compiled;
  const { config, errors } = resolveRunConfig(objective.settings, { objectiveName: objective.name, sourceFile: file, origins: objective.settingSpans, packageRoot });
  if (errors.length > 0) return { ok: false, messages: errors.map((e) => `${file}: ${e}`) };
  let key: string;
  try {
    key = referenceKey(compiled.compiled.sources, config);
  } catch (e) {
    return { ok: false, messages: [`reference { train = "${file}" }: cannot read its inputs: ${(e as Error).message}`] };
  }
  const dir = join(referenceCacheRoot(), `${objective.name}-${key.slice(0, 16)}`);
  const finalDir = join(dir, 'final');
  if (existsSync(join(finalDir, 'config.json'))) {
    io.log(`reference: reusing ${finalDir} (${objective.name}, trained earlier from ${file})`);
    return { ok: true, dir: finalDir };
  }
  // A reference stopped half-way (Ctrl-C, a full disk) continues from its last checkpoint.
  const resume = existsSync(join(dir, 'metrics.jsonl')) ? dir : undefined;
  const steps = config.train.steps > 0 ? `${config.train.steps} steps` : `${config.train.epochs} epochs`;
  io.log(`reference: ${resume ? 'continuing to train' : 'training'} ${objective.name} (${file}, ${steps}) into ${dir}; later runs reuse it`);
  const started = Date.now();
  training.push(file);
  const result = await runPipeline(
    { file, compile: { overrides: [{ kind: 'set', key: 'train.out', value: JSON.stringify(dir) }] }, resume, backend: io.backend, skipBadRecords: false },
    { reporter: io.reporter ?? silentReporter, log: (line) => io.log(`reference: ${line}`), shouldStop: io.shouldStop ?? (() => false) },
  ).finally(() => training.pop());
  if (!result.ok) {
    const lines = result.kind === 'diagnostics' ? [renderCompiled(result.compiled, true)] : result.messages;
    return { ok: false, messages: [`training the reference ${file} failed:`, ...lines] };
  }
  if (result.outcome.status !== 'completed' || result.outcome.finalDir === undefined) {
    return { ok: false, messages: [`training the reference ${file} stopped (${result.outcome.status}${result.outcome.message ? `: ${result.outcome.message}` : ''}); the next run continues it in ${dir}`] };
  }
  io.log(`reference: trained in ${((Date.now() - started) / 1000).toFixed(1)} s; model in ${result.outcome.finalDir}`);
  return { ok: true, dir: result.outcome.finalDir };
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

export type { ReferenceSettings };
