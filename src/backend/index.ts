// Backend selection (LANGUAGE.md §8 `backend`, CLI `--backend`): pick the TensorFlow.js backend a
// run computes on, install our kernel fixes for it, and say which one was taken and why the
// others were not.
import * as tf from '@tensorflow/tfjs';
import { findBlas } from './blas/library.js';
import { fixBatchMatMulGradient, registerMissingGradients } from './gradients.js';
import { installCpuKernelFixes } from './kernels/install.js';
import { defaultImporter, loadNative, TFJS_NATIVE_NAME, type ModuleImporter } from './native.js';
import { AUTO_ORDER, type BackendName, type BackendRequest } from './names.js';
import { loadWasm, type LoadOutcome } from './wasm.js';

export { stopGradient } from './gradients.js';

export { AUTO_ORDER, BACKEND_REQUESTS, backendChoices, isBackendRequest, type BackendName, type BackendRequest } from './names.js';

export interface BackendInfo {
  /** The backend taken (ours, not tfjs's: both native packages are 'tensorflow' to tfjs). */
  name: BackendName;
  tf: typeof tf;
  /** Human-readable lines: what was skipped and why, what was configured. For config.json and stderr. */
  notes: string[];
}

export interface InitBackendOptions {
  /** How to import the optional native packages; tests replace it. */
  importModule?: ModuleImporter;
}

/** An explicitly requested backend (or, for `auto`, every candidate) could not be loaded. */
export class BackendLoadError extends Error {
  constructor(
    readonly requested: BackendRequest,
    readonly reasons: string[],
  ) {
    super(`backend '${requested}' could not be loaded:\n  ${reasons.join('\n  ')}`);
    this.name = 'BackendLoadError';
  }
}

/** tfjs's own name for each of our backends. */
export function tfjsBackendName(name: BackendName): string {
  if (name === 'wasm-blas') return 'wasm';
  return name === 'tensorflow-gpu' || name === 'tensorflow' ? TFJS_NATIVE_NAME : name;
}


let active: { requested: BackendRequest; info: BackendInfo } | undefined;
// Calls are serialised: two overlapping initialisations would race on tf.setBackend.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Makes `name` the global tfjs backend. `auto` takes the first of AUTO_ORDER that loads.
 * Idempotent: repeating the last request while its backend is still the active one returns the
 * same BackendInfo and changes nothing. Rejects with BackendLoadError naming every reason.
 */
export function initBackend(name: BackendRequest, options: InitBackendOptions = {}): Promise<BackendInfo> {
  const run = queue.then(() => select(name, options.importModule ?? defaultImporter));
  queue = run.catch(() => undefined);
  return run;
}

async function select(requested: BackendRequest, importModule: ModuleImporter): Promise<BackendInfo> {
  if (active !== undefined && active.requested === requested && tf.getBackend() === tfjsBackendName(active.info.name)) {
    return active.info;
  }
  const candidates = requested === 'auto' ? AUTO_ORDER : [requested];
  const skipped: string[] = [];
  for (const candidate of candidates) {
    const outcome = await load(candidate, importModule);
    if (outcome.ok) {
      const taken = requested === 'auto' ? [`auto: took ${candidate}`] : [];
      const gradients = registerMissingGradients();
      const gradientNote = gradients.length > 0 ? [`zero gradients registered for ${gradients.join(', ')}`] : [];
      if (fixBatchMatMulGradient()) gradientNote.push('BatchMatMul gradient sums over broadcast batch axes');
      const info: BackendInfo = { name: candidate, tf, notes: [...taken, ...skipped, ...outcome.notes, ...gradientNote] };
      active = { requested, info };
      return info;
    }
    skipped.push(`${candidate} skipped: ${outcome.reason}`);
  }
  throw new BackendLoadError(requested, skipped);
}

async function load(candidate: BackendName, importModule: ModuleImporter): Promise<LoadOutcome> {
  switch (candidate) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return loadNative(candidate, importModule);
    case 'wasm-blas': {
      const found = await findBlas();
      return found.ok ? loadWasm(found.blas) : { ok: false, reason: found.reason };
    }
    case 'wasm':
      return loadWasm();
    case 'cpu':
      return loadCpu();
  }
}

async function loadCpu(): Promise<LoadOutcome> {
  const fixes = installCpuKernelFixes();
  if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'the cpu backend failed to initialise' };
  return { ok: true, notes: fixes.length > 0 ? [`cpu kernel fixes: ${fixes.join('; ')}`] : [] };
}
