// Shared test helpers for the backend tests: switching backends without leaving the global tfjs
// backend changed for other test files, seeded data, and tolerance checks.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { findBlas } from '../../src/backend/blas/library.js';
import { initBackend, type BackendRequest } from '../../src/backend/index.js';
import { mulberry32 } from '../../src/util/prng.js';

/** Mocha hooks: `name` is the backend inside this describe; the previous one is restored after. */
export function useBackend(name: BackendRequest): void {
  let previous: string | undefined;
  before(async () => {
    previous = tf.getBackend();
    await initBackend(name);
  });
  after(async () => {
    await tf.setBackend(previous ?? 'cpu');
  });
}

/** The system BLAS of this machine, if any (CI installs libopenblas0-pthread; a bare machine has none). */
export const BLAS = await findBlas();

/**
 * The wasm backends a kernel test sweeps: `wasm` (XNNPACK) always, `wasm-blas` (matrix products
 * through the system BLAS) when one is found.
 */
export const WASM_BACKENDS: readonly BackendRequest[] = BLAS.ok ? ['wasm', 'wasm-blas'] : ['wasm'];

/** Inside a describe: one pending test saying why `wasm-blas` is not tested here, when it is not. */
export function noteWhenBlasMissing(): void {
  if (!BLAS.ok) it.skip(`wasm-blas not tested: ${BLAS.reason}`);
}

/** Runs `f` with the given tfjs backend active, then switches back. */
export async function onBackend<T>(backend: string, f: () => T): Promise<T> {
  const previous = tf.getBackend();
  await tf.setBackend(backend);
  try {
    return f();
  } finally {
    await tf.setBackend(previous);
  }
}

/** Deterministic values in about [-2, 2] (mulberry32), so failures reproduce. */
export function seeded(n: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = next() * 4 - 2;
  return out;
}

export interface Tolerance {
  abs: number;
  rel: number;
}

/** |actual − expected| ≤ abs + rel·|expected| elementwise, with the worst element in the message. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} vs ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!(Math.abs(a - e) <= tol.abs + tol.rel * Math.abs(e))) {
      assert.fail(`${what}: element ${i} is ${a}, expected ${e} (tolerance abs ${tol.abs}, rel ${tol.rel})`);
    }
  }
}
