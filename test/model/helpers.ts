// Shared by the model tests: the cpu backend for the duration of a suite, fixture paths, temp dirs.
import { mkdtempSync, rmSync } from 'node:fs';
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
