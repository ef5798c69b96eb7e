// Checkpoints: checkpoints/step-N/ with model.safetensors and config.json (the weights in Hugging
// Face form), the tokenizer files, optimizer.safetensors (the Adam moments under PyTorch's names)
// and state.json (position, seed, objective state). Written atomically with writeDirAtomic.
import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { configToJson } from '../model/config.js';
import { readSafetensors, safetensorsProblem, writeSafetensors, type TensorEntry } from '../model/safetensors.js';
import type { CausalLM } from '../model/types.js';
import type { AdamW } from './adamw.js';
import { writeDirAtomic, writeFileAtomic } from '../util/atomic.js';

export const STATE_VERSION = 1;

/** state.json: everything beyond weights and moments that a resumed run needs to continue exactly. */
export interface TrainState {
  version: number;
  /** Optimizer updates done. */
  step: number;
  totalSteps: number;
  /** Data position: the epoch (0-based) and the next micro-batch of its shuffled order. */
  epoch: number;
  microBatch: number;
  /** The shuffle of each epoch is derived from (seed, epoch) alone (data/batch.ts), so this is the whole RNG state. */
  rng: { seed: number; epoch: number };
  /** What the position means: a resume with other values would replay different data. */
  layout: { batch: number; gradAccum: number; trainSamples: number };
  objective: unknown;
  elapsedS: number;
  tokensSeen: number;
}

/** Writes a model's weights (float32) and config.json the way transformers reads them. */
export type SaveModel = (model: CausalLM, dir: string) => Promise<void>;

export const saveModelWeights: SaveModel = async (model, dir) => {
  const tensors = new Map<string, TensorEntry>();
  for (const [name, v] of model.params) tensors.set(name, { dtype: 'F32', shape: [...v.shape], values: (await v.data()) as Float32Array });
  await writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  await writeFileAtomic(join(dir, 'config.json'), `${JSON.stringify(configToJson(model.config, 'float32'), null, 2)}\n`);
};

/** Copies weights from `dir/model.safetensors` into the model's params; returns the problems found. */
export async function loadWeightsInto(model: CausalLM, dir: string): Promise<string[]> {
  const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
  const problems: string[] = [];
  for (const [name, v] of model.params) {
    const t = tensors.get(name);
    if (t === undefined) problems.push(`${dir}/model.safetensors: missing tensor '${name}'`);
    else if (t.shape.join(',') !== v.shape.join(',')) problems.push(`${dir}/model.safetensors: '${name}' has shape [${t.shape}], expected [${v.shape}]`);
    else tf.tidy(() => v.assign(tf.tensor(t.values, t.shape, 'float32')));
  }
  return problems;
}

export interface SaveCheckpointOptions {
  model: CausalLM;
  optimizer: AdamW;
  state: TrainState;
  saveModel: SaveModel;
  /** Tokenizer files to copy (tokenizer.json, tokenizer_config.json, ...). */
  tokenizerFiles: readonly string[];
}

export function checkpointDir(runDir: string, step: number): string {
  return join(runDir, 'checkpoints', `step-${step}`);
}

/** Roughly what a checkpoint takes on disk: float32 weights and two Adam moments per weight, plus the tokenizer. */
async function checkpointBytes(options: SaveCheckpointOptions): Promise<number> {
  let weights = 0;
  for (const [, v] of options.model.params) weights += v.size;
  let tokenizer = 0;
  for (const file of options.tokenizerFiles) tokenizer += await stat(file).then((s) => s.size, () => 0);
  return weights * 4 * 3 + tokenizer;
}

export async function saveCheckpoint(dir: string, options: SaveCheckpointOptions): Promise<void> {
  const expected = await checkpointBytes(options);
  await writeDirAtomic(dir, async (temp) => {
    await options.saveModel(options.model, temp);
    for (const file of options.tokenizerFiles) await copyFile(file, join(temp, basename(file)));
    const moments = await options.optimizer.exportMoments();
    const entries = new Map<string, TensorEntry>();
    for (const [name, m] of moments) entries.set(name, { dtype: 'F32', shape: m.shape, values: m.data });
    await writeSafetensors(join(temp, 'optimizer.safetensors'), entries, { step: String(options.optimizer.stepCount) });
    // state.json last: a directory with it is complete even if the rename were not atomic.
    await writeFileAtomic(join(temp, 'state.json'), `${JSON.stringify(options.state, null, 2)}\n`);
  }, expected);
}

/** The step-N checkpoints under runDir/checkpoints, newest first. */
async function checkpointSteps(runDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(join(runDir, 'checkpoints'));
  } catch {
    return [];
  }
  return names
    .map((n) => /^step-(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

/** The checkpoint with the highest step under runDir/checkpoints that has a state.json, if any. */
export async function latestCheckpoint(runDir: string): Promise<{ dir: string; step: number } | undefined> {
  for (const step of await checkpointSteps(runDir)) {
    const dir = checkpointDir(runDir, step);
    if (await stat(join(dir, 'state.json')).then(() => true, () => false)) return { dir, step };
  }
  return undefined;
}

/** What makes a checkpoint unusable for a resume (checked without loading its tensors); empty when whole. */
export async function checkpointProblems(dir: string): Promise<string[]> {
  const problems: string[] = [];
  try {
    const state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as Partial<TrainState>;
    if (state.version !== STATE_VERSION) problems.push(`${dir}/state.json: version ${state.version}, expected ${STATE_VERSION}`);
  } catch (e) {
    problems.push(`${dir}/state.json: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : (e as Error).message}`);
  }
  for (const file of ['model.safetensors', 'optimizer.safetensors']) {
    const problem = await safetensorsProblem(join(dir, file));
    if (problem !== undefined) problems.push(problem);
  }
  return problems;
}

export type ResumePoint =
  | { ok: true; checkpoint?: { dir: string; step: number }; skipped: Array<{ dir: string; problems: string[] }> }
  | { ok: false; message: string };

/**
 * The newest checkpoint that is whole, and the damaged newer ones passed over (a truncated
 * model.safetensors, a missing optimizer file); no checkpoint at all is ok without one; checkpoints
 * that are all damaged are an error naming each one's problem.
 */
export async function resumePoint(runDir: string): Promise<ResumePoint> {
  const skipped: Array<{ dir: string; problems: string[] }> = [];
  for (const step of await checkpointSteps(runDir)) {
    const dir = checkpointDir(runDir, step);
    const problems = await checkpointProblems(dir);
    if (problems.length === 0) return { ok: true, checkpoint: { dir, step }, skipped };
    skipped.push({ dir, problems });
  }
  if (skipped.length === 0) return { ok: true, skipped };
  return {
    ok: false,
    message: `${runDir}: no intact checkpoint to resume from:\n${skipped.map((s) => `  ${s.problems.join('\n  ')}`).join('\n')}`,
  };
}

/** Restores weights, moments and returns the state; problems are returned, never thrown. */
export async function loadCheckpoint(
  dir: string,
  model: CausalLM,
  optimizer: AdamW,
): Promise<{ state: TrainState; problems: string[] } | { problems: string[] }> {
  let state: TrainState;
  try {
    state = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as TrainState;
  } catch (e) {
    return { problems: [`${dir}/state.json: ${(e as Error).message}`] };
  }
  if (state.version !== STATE_VERSION) return { problems: [`${dir}/state.json: version ${state.version}, expected ${STATE_VERSION}`] };
  const problems = await loadWeightsInto(model, dir);
  const { tensors } = await readSafetensors(join(dir, 'optimizer.safetensors'));
  const moments = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [name, t] of tensors) moments.set(name, { shape: t.shape, data: t.values as Float32Array });
  problems.push(...optimizer.importMoments(moments, state.step).map((p) => `${dir}/optimizer.safetensors: ${p}`));
  return { state, problems };
}
