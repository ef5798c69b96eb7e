// The resolved run settings: every key of LANGUAGE.md §8 with its default filled in, built from the
// compiled objective's settings blocks and the command line's `--set block.key=VALUE` overrides.
// The compiler validates the blocks written in the file against the JSON Schemas; overrides arrive
// as text, so they are parsed and checked here, by the same per-key rules the trainer relies on.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { SettingsSpans } from '../ir/nodes.js';
import { nearest } from '../diagnostics/suggest.js';
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
  format: string;
  lossOn: string;
  maxLen: number;
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
}

export interface RunConfig {
  objective: string;
  /** The .sftgo file, absolute. */
  source: string;
  model: ModelSettings;
  reference?: { path: string };
  data: DataSettings;
  train: TrainSettings;
}

export interface ResolveOptions {
  objectiveName: string;
  /** The .sftgo file; relative paths written in it resolve against its directory. */
  sourceFile: string;
  /**
   * Where each settings value was written (the compiled objective's settingSpans): a relative path
   * resolves against the directory of the file that wrote it, or against `cwd` when it came from a
   * `--set` flag the compiler applied (its span's file is `--set block.key`).
   */
  origins?: SettingsSpans;
  /** `--set` overrides not passed through the compiler; their relative paths resolve against `cwd`. */
  overrides?: ReadonlyArray<{ block: string; key: string; text: string; flag: string }>;
  /** The package root, for the bundled default model, tokenizer and data. */
  packageRoot: string;
  cwd?: string;
  /** For the default run directory name. */
  now?: Date;
}

const KEYS: Record<string, readonly string[]> = {
  model: ['path', 'preset', 'tokenizer'],
  reference: ['path'],
  data: ['train', 'eval', 'format', 'loss_on', 'max_len'],
  train: ['epochs', 'steps', 'batch', 'grad_accum', 'lr', 'lr_schedule', 'weight_decay', 'eps', 'betas', 'clip_grad', 'seed', 'eval_every', 'save_every', 'out', 'backend'],
};

const DATA_FORMATS = ['auto', 'alpaca', 'chat', 'prompt-completion', 'text', 'responses'];
const LOSS_ON = ['response', 'all'];
const BACKENDS = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

/** `2026-11-22T04-05-09` : sortable, and legal in file names everywhere. */
export function timestamp(now: Date): string {
  return now.toISOString().slice(0, 19).replace(/:/g, '-');
}

/** Parses an override's text: JSON (numbers, booleans, quoted strings, lists), a percent, or a bare string. */
export function parseOverrideValue(text: string): Json {
  const percent = /^\s*([0-9.eE+-]+)\s*%\s*$/.exec(text);
  if (percent !== null && Number.isFinite(Number(percent[1]))) return Number(percent[1]) / 100;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return text;
  }
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
 * Builds the RunConfig. Problems (unknown keys, wrong types, out-of-range values) are all
 * collected and returned as messages that name the key, instead of stopping at the first.
 */
export function resolveRunConfig(settings: SettingsBlocks, options: ResolveOptions): { config: RunConfig; errors: string[] } {
  const errors: string[] = [];
  const cwd = options.cwd ?? process.cwd();
  const fileDir = resolve(cwd, options.sourceFile, '..');
  // Where each value came from decides how its relative paths resolve.
  const baseOf = new Map<string, string>();
  const merged: Record<string, Record<string, Json>> = {};
  for (const block of Object.keys(KEYS)) {
    merged[block] = { ...(settings[block as keyof SettingsBlocks] ?? {}) };
    for (const key of Object.keys(merged[block]!)) {
      const written = options.origins?.[block as keyof SettingsSpans]?.[`/${key}`]?.value.file;
      const base = written === undefined ? fileDir : written.startsWith('--set ') ? cwd : dirname(resolve(cwd, written));
      baseOf.set(`${block}.${key}`, base);
    }
  }
  for (const o of options.overrides ?? []) {
    const known = KEYS[o.block];
    if (known === undefined) {
      errors.push(`--set ${o.flag}: unknown block '${o.block}'`);
      continue;
    }
    if (!known.includes(o.key)) {
      const guess = nearest(o.key, known);
      errors.push(`--set ${o.flag}: unknown key '${o.block}.${o.key}'${guess ? `; did you mean '${o.block}.${guess}'?` : ''}`);
      continue;
    }
    merged[o.block]![o.key] = parseOverrideValue(o.text);
    baseOf.set(`${o.block}.${o.key}`, cwd);
  }
  for (const [block, entries] of Object.entries(merged)) {
    for (const key of Object.keys(entries)) {
      if (!KEYS[block]!.includes(key)) {
        const guess = nearest(key, KEYS[block]!);
        errors.push(`unknown key '${block}.${key}'${guess ? `; did you mean '${block}.${guess}'?` : ''}`);
      }
    }
  }

  const read = reader(merged, errors);
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
  if (modelPath !== undefined && preset !== undefined) errors.push(`model: give either path or preset, not both`);
  if (modelPath !== undefined) model.path = modelPath;
  else if (preset !== undefined) model.preset = preset;
  else if (existsSync(join(assets, 'model', 'config.json'))) model.path = join(assets, 'model');
  else model.preset = 'tiny';
  const tokenizer = path('model', 'tokenizer');
  if (tokenizer !== undefined) model.tokenizer = tokenizer;
  else if (model.preset !== undefined) model.tokenizer = join(assets, 'tokenizer');

  const referencePath = path('reference', 'path');
  const usesBundledData = merged['data']!['train'] === undefined;
  const data: DataSettings = {
    train: path('data', 'train') ?? join(assets, 'data', 'train.jsonl'),
    format: read.oneOf('data', 'format', DATA_FORMATS, 'auto'),
    lossOn: read.oneOf('data', 'loss_on', LOSS_ON, 'response'),
    maxLen: read.integer('data', 'max_len', 512, 2),
  };
  const evalPath = path('data', 'eval') ?? (usesBundledData ? join(assets, 'data', 'eval.jsonl') : undefined);
  if (evalPath !== undefined) data.eval = evalPath;

  const scheduleValue = merged['train']!['lr_schedule'];
  let lrSchedule: LrSchedule = { kind: 'cosine', warmup: 0.07 };
  if (scheduleValue !== undefined) {
    const decoded = decodeLrSchedule(scheduleValue);
    if (typeof decoded === 'string') errors.push(`train.lr_schedule: ${decoded}`);
    else lrSchedule = decoded;
  }
  const betas = read.betas();
  const train: TrainSettings = {
    epochs: read.integer('train', 'epochs', 3, 1),
    steps: read.integer('train', 'steps', 0, 0),
    batch: read.integer('train', 'batch', 16, 1),
    gradAccum: read.integer('train', 'grad_accum', 1, 1),
    lr: read.number('train', 'lr', 3e-4, { min: 0 }),
    lrSchedule,
    weightDecay: read.number('train', 'weight_decay', 0.05, { min: 0 }),
    eps: read.number('train', 'eps', 1e-8, { min: 0, exclusiveMin: true }),
    betas,
    clipGrad: read.number('train', 'clip_grad', 1.0, { min: 0 }),
    seed: read.integer('train', 'seed', 1, 0),
    evalEvery: read.integer('train', 'eval_every', 50, 0),
    saveEvery: read.integer('train', 'save_every', 200, 0),
    out: path('train', 'out') ?? resolve(cwd, 'runs', `${options.objectiveName}-${timestamp(options.now ?? new Date())}`),
    backend: read.oneOf('train', 'backend', BACKENDS, 'auto'),
  };
  const config: RunConfig = { objective: options.objectiveName, source: resolve(cwd, options.sourceFile), model, data, train };
  if (referencePath !== undefined) config.reference = { path: referencePath };
  return { config, errors };
}

/** Typed reads of the merged blocks; a wrong value records an error and yields the default. */
function reader(merged: Record<string, Record<string, Json>>, errors: string[]) {
  const get = (block: string, key: string) => merged[block]![key];
  const bad = (block: string, key: string, want: string) =>
    errors.push(`${block}.${key}: expected ${want}, got ${JSON.stringify(get(block, key))}`);
  const self = {
    string(block: string, key: string, fallback: string | undefined): string | undefined {
      const v = get(block, key);
      if (v === undefined) return fallback;
      if (typeof v !== 'string' || v === '') return bad(block, key, 'a non-empty string'), fallback;
      return v;
    },
    oneOf(block: string, key: string, allowed: readonly string[], fallback: string): string {
      const v = get(block, key);
      if (v === undefined) return fallback;
      if (typeof v !== 'string' || !allowed.includes(v)) {
        const guess = typeof v === 'string' ? nearest(v, allowed) : undefined;
        errors.push(`${block}.${key}: expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}${guess ? `; did you mean '${guess}'?` : ''}`);
        return fallback;
      }
      return v;
    },
    number(block: string, key: string, fallback: number, range: { min?: number; exclusiveMin?: boolean } = {}): number {
      const v = get(block, key);
      if (v === undefined) return fallback;
      const min = range.min ?? -Infinity;
      const ok = typeof v === 'number' && Number.isFinite(v) && (range.exclusiveMin ? v > min : v >= min);
      if (!ok) return bad(block, key, `a number ${range.exclusiveMin ? '>' : '≥'} ${min}`), fallback;
      return v as number;
    },
    integer(block: string, key: string, fallback: number, min: number): number {
      const v = get(block, key);
      if (v === undefined) return fallback;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min) return bad(block, key, `an integer ≥ ${min}`), fallback;
      return v;
    },
    betas(): [number, number] {
      const v = get('train', 'betas');
      if (v === undefined) return [0.9, 0.999];
      if (!Array.isArray(v) || v.length !== 2 || !v.every((b) => typeof b === 'number' && b >= 0 && b < 1)) {
        return bad('train', 'betas', 'a list of two numbers in [0, 1)'), [0.9, 0.999];
      }
      return [v[0] as number, v[1] as number];
    },
  };
  return self;
}

/** The JSON form written to the run directory's config.json (snake_case keys as in the .sftgo blocks). */
export function runConfigToJson(config: RunConfig): Record<string, unknown> {
  const t = config.train;
  return {
    objective: config.objective,
    source: config.source,
    model: { ...config.model },
    ...(config.reference ? { reference: { ...config.reference } } : {}),
    data: { train: config.data.train, eval: config.data.eval ?? null, format: config.data.format, loss_on: config.data.lossOn, max_len: config.data.maxLen },
    train: {
      epochs: t.epochs, steps: t.steps, batch: t.batch, grad_accum: t.gradAccum, lr: t.lr,
      lr_schedule: formatLrSchedule(t.lrSchedule), weight_decay: t.weightDecay, eps: t.eps, betas: t.betas,
      clip_grad: t.clipGrad, seed: t.seed, eval_every: t.evalEvery, save_every: t.saveEvery, out: t.out, backend: t.backend,
    },
  };
}
