// Shared by the model tests: the cpu backend for the duration of a suite, fixture paths, temp dirs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { repoRoot } from '../helpers/golden.js';

/** In the source tree whether the test runs from test/ (tsx) or dist/test/ (compiled): tsc copies no fixtures. */
export const FIXTURES = path.join(repoRoot, 'test', 'fixtures', 'models');

/** Registers before/after hooks that run the suite on the cpu backend and restore the previous one. */
export function useCpuBackend(): void {
  let previous: string | undefined;
  before(async () => {
    previous = tf.getBackend();
    await tf.setBackend('cpu');
    await tf.ready();
  });
  after(async () => {
    if (previous !== undefined && previous !== 'cpu') await tf.setBackend(previous);
  });
}

/** A fresh temporary directory, removed after the suite. */
export function useTempDir(): () => string {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sftgoc-model-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

/** Flattens nested number arrays (reference.json's logits). */
export function flatten(x: unknown): number[] {
  return Array.isArray(x) ? x.flatMap(flatten) : [x as number];
}

/** A fixture's greedy.json (scripts/reference/make_greedy_fixtures.py: full recompute in float64 by plain PyTorch). */
export interface GreedyReference {
  stored_dtype: string;
  eos_id: number;
  max_new: number;
  prompts: number[][];
  tokens: number[][];
  /** logits[p][s]: after prompt p and its first s generated tokens. */
  logits: number[][][];
}

/** The fixture models with a greedy.json: gpt2 and llama, F32 and BF16. */
export const GREEDY_FIXTURES = ['gpt2-tiny', 'gpt2-tiny-bf16', 'llama-tiny', 'llama-tiny-f32'] as const;

export function greedyReference(model: string): GreedyReference {
  return JSON.parse(readFileSync(path.join(FIXTURES, model, 'greedy.json'), 'utf8')) as GreedyReference;
}
