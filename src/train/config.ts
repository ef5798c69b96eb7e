// The resolved run settings: every key of LANGUAGE.md §8 with its default filled in, built from the
// compiled objective's settings blocks and the command line's `--set block.key=VALUE` overrides.
// Validation is the compiler's: the blocks written in the file and every `--set` (which run, groups
// and compare pass through compile()) are checked against schemas/*.schema.json, with spans and
// did-you-mean (E04xx). This module only fills defaults, resolves paths and picks the bundled model;
// `errors` is left for the one value the schemas do not decode (an lr_schedule in no known form).
import { existsSync, readFileSync } from 'node:fs';
import { presetConfig } from '../model/presets.js';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { SettingsSpans } from '../language/values.js';
import { DEFAULT_MAX_RECORD_BYTES } from '../data/dataset.js';
import { formatLrSchedule, parseLrSchedule, type LrSchedule, type LrScheduleKind } from './schedule.js';

type Json = number | string | boolean | null | Json[] | { [key: string]: Json };
export type SettingsBlocks = Partial<Record<'model' | 'reference' | 'data' | 'train', Record<string, Json>>>;

export interface ModelSettings {
  /** A local Hugging Face directory (absolute), or undefined when a preset is used. */
  path?: string;
  preset?: string;
  /** Tokenizer directory for a preset (a model directory carries its own tokenizer files). */
  tokenizer?: string;
}

export interface DataSettings {
  train: string;
  eval?: string;
  /** Questions (the `prompts` format) that `eval --generate` and `compare --generate` answer; the bundled set with the bundled data. */
  questions?: string;
  format: string;
  lossOn: string;
  /** Tokens per sample at most; by default the model's positions. */
  maxLen: number;
  /** Bytes of one JSON Lines record at most, checked while reading. */
  maxRecordBytes: number;
}

/**
 * The data block's defaults, one copy for `run` (resolveRunConfig) and `eval` (run directories whose
 * config.json lacks a key, and --model/--data). maxLen is used when the model's positions cannot be
 * read (its config.json is checked later, with the file named).
 */
export const DATA_DEFAULTS = { format: 'auto', lossOn: 'response', maxLen: 512 } as const;

/** The positions of a model directory (config.json) or preset; undefined when they cannot be read. */
export function modelPositions(model: { path?: string; preset?: string }): number | undefined {
  if (model.preset !== undefined) return presetConfig(model.preset)?.maxPositions;
  if (model.path === undefined) return undefined;
  try {
    const raw = JSON.parse(readFileSync(join(model.path, 'config.json'), 'utf8')) as Record<string, unknown>;
    const n = raw.n_positions ?? raw.max_position_embeddings;
    return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export interface TrainSettings {
  /** Passes over the training data when `steps` is 0 (an integer ≥ 1, as the schema says). */
  epochs: number;
  /** 0: `epochs` decide the length. */
  steps: number;
  /** Samples per micro-batch; an optimizer update sees batch × gradAccum samples. */
  batch: number;
  gradAccum: number;
  lr: number;
  lrSchedule: LrSchedule;
  weightDecay: number;
  eps: number;
  betas: [number, number];
  /** 0 disables clipping. */
  clipGrad: number;
  seed: number;
  evalEvery: number;
  saveEvery: number;
  /** The run directory, absolute. */
  out: string;
  backend: string;
  /** The engine (`--engine` wins): tfjs in process, or torch, the generated PyTorch program. */
  engine: 'tfjs' | 'torch';
  /** torch engine: processes on this machine (`--nproc` wins). */
  nproc: number;
  /** torch engine: where the program trains (`--device` wins). */
  device: 'auto' | 'cpu' | 'cuda';
  /** torch engine: deterministic kernels; unset: on for CPU, off for CUDA (docs/limits.md). */
  deterministic?: boolean;
  /** The products' inputs: float32 (unset) or bf16 (tfjs engine on wasm-blas; src/backend/blas/bf16.ts). */
  precision?: 'fp32' | 'bf16';
}

export interface RunConfig {
  objective: string;
  /** The .sftgo file, absolute. */
  source: string;
  model: ModelSettings;
  reference?: ReferenceSettings;
  data: DataSettings;
  train: TrainSettings;
}

/**
 * The reference model as the file declares it (src/run/reference.ts turns it into a directory):
 * a directory, the model being trained at its initial weights (`path = "self"`), or an objective
 * to train first (absolute path).
 */
export type ReferenceSettings = { path: string } | { self: true } | { train: string };

export interface ResolveOptions {
  objectiveName: string;
  /** The .sftgo file; relative paths written in it resolve against its directory. */
  sourceFile: string;
  /**
   * Where each settings value was written (the compiled objective's settingSpans): a relative path
   * resolves against the directory of the file that wrote it, or against `cwd` when it came from a
   * `--set` flag the compiler applied (`fromFlag`).
   */
  origins?: SettingsSpans;
  /** `--resume RUN_DIR`: the run directory, which replaces train.out (relative to `cwd`). */
  resumeDir?: string;
  /** The package root, for the bundled default model, tokenizer and data. */
  packageRoot: string;
  cwd?: string;
  /** For the default run directory name. */
  now?: Date;
}

const BLOCKS = ['model', 'reference', 'data', 'train'] as const;

/** `2026-11-22T04-05-09` : sortable, and legal in file names everywhere. */
export function timestamp(now: Date): string {
  return now.toISOString().slice(0, 19).replace(/:/g, '-');
}

/** The `lr_schedule` value in any of the forms the compiler may produce, or an error message. */
export function decodeLrSchedule(value: Json): LrSchedule | string {
  if (typeof value === 'string') return parseLrSchedule(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    // {kind|name|call: 'cosine', warmup?: 0.07} or {kind: 'cosine', args: {warmup: 0.07}} or {cosine: {warmup: 0.07}}.
    const head = value['kind'] ?? value['name'] ?? value['call'] ?? value['function'];
    let kind: Json | undefined = head;
    let args: Json | undefined = value['args'] ?? value['arguments'] ?? value;
    if (kind === undefined && Object.keys(value).length === 1) {
      kind = Object.keys(value)[0]!;
      args = Object.values(value)[0];
    }
    if (kind !== 'constant' && kind !== 'linear' && kind !== 'cosine') return `lr_schedule ${JSON.stringify(value)} is not constant, linear(...) or cosine(...)`;
    const warmup = args !== null && typeof args === 'object' && !Array.isArray(args) ? (args['warmup'] ?? 0) : 0;
    if (typeof warmup !== 'number' || !(warmup >= 0 && warmup <= 1)) return `lr_schedule warm-up ${JSON.stringify(warmup)} must be a percent in [0%, 100%]`;
    return { kind: kind as LrScheduleKind, warmup };
  }
  return `lr_schedule ${JSON.stringify(value)} is not constant, linear(warmup = P%) or cosine(warmup = P%)`;
}

/**
 * Builds the RunConfig from settings the compiler has already validated (E04xx, including "exactly
 * one of path and preset"). `errors` holds only an lr_schedule in no form decodeLrSchedule knows.
 */
export function resolveRunConfig(settings: SettingsBlocks, options: ResolveOptions): { config: RunConfig; errors: string[] } {
  const errors: string[] = [];
  const cwd = options.cwd ?? process.cwd();
  const fileDir = resolve(cwd, options.sourceFile, '..');
  // Where each value came from decides how its relative paths resolve.
  const baseOf = new Map<string, string>();
  const merged: Record<string, Record<string, Json>> = {};
  for (const block of BLOCKS) {
    merged[block] = { ...(settings[block as keyof SettingsBlocks] ?? {}) };
    for (const key of Object.keys(merged[block]!)) {
      const origin = options.origins?.[block as keyof SettingsSpans]?.[`/${key}`];
      const base = origin === undefined ? fileDir : origin.fromFlag === true ? cwd : dirname(resolve(cwd, origin.value.file));
      baseOf.set(`${block}.${key}`, base);
    }
  }

  const read = reader(merged);
  const path = (block: string, key: string, fallback?: string): string | undefined => {
    const v = read.string(block, key, undefined);
    if (v === undefined) return fallback;
    return isAbsolute(v) ? v : resolve(baseOf.get(`${block}.${key}`) ?? cwd, v);
  };

  // The model: a directory, a preset, or the bundled default (its directory when present, else the
  // tiny preset with the bundled tokenizer).
  const assets = join(options.packageRoot, 'assets', 'default');
  const model: ModelSettings = {};
  const modelPath = path('model', 'path');
  const preset = read.string('model', 'preset', undefined);
  if (modelPath !== undefined) model.path = modelPath;
  else if (preset !== undefined) model.preset = preset;
  else if (existsSync(join(assets, 'model', 'config.json'))) model.path = join(assets, 'model');
  else model.preset = 'tiny';
  const tokenizer = path('model', 'tokenizer');
  if (tokenizer !== undefined) model.tokenizer = tokenizer;
  else if (model.preset !== undefined) model.tokenizer = join(assets, 'tokenizer');

  // "self" is a word, not a directory next to the file.
  const referenceSelf = read.string('reference', 'path', undefined) === 'self';
  const referencePath = referenceSelf ? undefined : path('reference', 'path');
  const referenceTrain = path('reference', 'train');
  const usesBundledData = merged['data']!['train'] === undefined;
  const data: DataSettings = {
    train: path('data', 'train') ?? join(assets, 'data', 'train.jsonl'),
    format: read.string('data', 'format', DATA_DEFAULTS.format)!,
    lossOn: read.string('data', 'loss_on', DATA_DEFAULTS.lossOn)!,
    maxLen: read.number('data', 'max_len', modelPositions(model) ?? DATA_DEFAULTS.maxLen),
    maxRecordBytes: read.number('data', 'max_record_bytes', DEFAULT_MAX_RECORD_BYTES),
  };
  const positions = modelPositions(model);
  if (positions !== undefined && data.maxLen > positions) {
    errors.push(`data.max_len: ${data.maxLen} is more than the model's ${positions} positions; set data.max_len = ${positions} or less`);
  }
  const evalPath = path('data', 'eval') ?? (usesBundledData ? join(assets, 'data', 'eval.jsonl') : undefined);
  if (evalPath !== undefined) data.eval = evalPath;
  const questionsPath = path('data', 'questions') ?? (usesBundledData ? join(assets, 'data', 'questions.jsonl') : undefined);
  if (questionsPath !== undefined) data.questions = questionsPath;

  const scheduleValue = merged['train']!['lr_schedule'];
  let lrSchedule: LrSchedule = { kind: 'cosine', warmup: 0.07 };
  if (scheduleValue !== undefined) {
    const decoded = decodeLrSchedule(scheduleValue);
    if (typeof decoded === 'string') errors.push(`train.lr_schedule: ${decoded}`);
    else lrSchedule = decoded;
  }
  const betas = (merged['train']!['betas'] as [number, number] | undefined) ?? [0.9, 0.999];
  const train: TrainSettings = {
    epochs: read.number('train', 'epochs', 3),
    steps: read.number('train', 'steps', 0),
    batch: read.number('train', 'batch', 16),
    gradAccum: read.number('train', 'grad_accum', 1),
    lr: read.number('train', 'lr', 3e-4),
    lrSchedule,
    weightDecay: read.number('train', 'weight_decay', 0.05),
    eps: read.number('train', 'eps', 1e-8),
    betas,
    clipGrad: read.number('train', 'clip_grad', 1.0),
    seed: read.number('train', 'seed', 1),
    evalEvery: read.number('train', 'eval_every', 50),
    saveEvery: read.number('train', 'save_every', 200),
    out: options.resumeDir !== undefined ? resolve(cwd, options.resumeDir) : path('train', 'out') ?? resolve(cwd, 'runs', `${options.objectiveName}-${timestamp(options.now ?? new Date())}`),
    backend: read.string('train', 'backend', 'auto')!,
    engine: read.string('train', 'engine', 'tfjs') as TrainSettings['engine'],
    nproc: read.number('train', 'nproc', 1),
    device: read.string('train', 'device', 'auto') as TrainSettings['device'],
  };
  const deterministic = merged.train?.deterministic;
  if (typeof deterministic === 'boolean') train.deterministic = deterministic;
  const precision = merged.train?.precision;
  if (precision === 'fp32' || precision === 'bf16') train.precision = precision;
  const config: RunConfig = { objective: options.objectiveName, source: resolve(cwd, options.sourceFile), model, data, train };
  if (referenceSelf) config.reference = { self: true };
  else if (referencePath !== undefined) config.reference = { path: referencePath };
  else if (referenceTrain !== undefined) config.reference = { train: referenceTrain };
  return { config, errors };
}

/** Reads of the merged blocks, whose types the settings schemas have already checked. */
function reader(merged: Record<string, Record<string, Json>>) {
  const get = (block: string, key: string) => merged[block]?.[key];
  return {
    string(block: string, key: string, fallback: string | undefined): string | undefined {
      const v = get(block, key);
      return typeof v === 'string' ? v : fallback;
    },
    number(block: string, key: string, fallback: number): number {
      const v = get(block, key);
      return typeof v === 'number' ? v : fallback;
    },
  };
}

/** The JSON form written to the run directory's config.json (snake_case keys as in the .sftgo blocks). */
export function runConfigToJson(config: RunConfig): Record<string, unknown> {
  const t = config.train;
  return {
    objective: config.objective,
    source: config.source,
    model: { ...config.model },
    ...(config.reference ? { reference: 'self' in config.reference ? { path: 'self' } : { ...config.reference } } : {}),
    data: { train: config.data.train, eval: config.data.eval ?? null, questions: config.data.questions ?? null, format: config.data.format, loss_on: config.data.lossOn, max_len: config.data.maxLen, max_record_bytes: config.data.maxRecordBytes },
    train: {
      epochs: t.epochs, steps: t.steps, batch: t.batch, grad_accum: t.gradAccum, lr: t.lr,
      lr_schedule: formatLrSchedule(t.lrSchedule), weight_decay: t.weightDecay, eps: t.eps, betas: t.betas,
      clip_grad: t.clipGrad, seed: t.seed, eval_every: t.evalEvery, save_every: t.saveEvery, out: t.out, backend: t.backend,
      engine: t.engine, nproc: t.nproc, device: t.device, ...(t.deterministic !== undefined ? { deterministic: t.deterministic } : {}),
      ...(t.precision !== undefined ? { precision: t.precision } : {}),
    },
  };
}
