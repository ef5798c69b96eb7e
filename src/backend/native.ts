// Loading the libtensorflow-based backends (@tensorflow/tfjs-node-gpu, @tensorflow/tfjs-node).
//
// Neither is a dependency (their install downloads libtensorflow), so they are imported by a
// specifier held in a variable: TypeScript then neither needs their types nor fails to resolve
// them, and a missing package is an ordinary caught error at run time.
import * as tf from '@tensorflow/tfjs';
import { firstLine } from '../util/first-line.js';
import type { LoadOutcome } from './wasm.js';

export type NativeBackend = 'tensorflow-gpu' | 'tensorflow';

export const NATIVE_PACKAGES: Record<NativeBackend, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};

/** Both packages register their backend under this one tfjs name. */
export const TFJS_NATIVE_NAME = 'tensorflow';

export type ModuleImporter = (specifier: string) => Promise<unknown>;

export const defaultImporter: ModuleImporter = (specifier) => import(specifier);

/** Which package provided the process's 'tensorflow' backend; the two cannot be swapped once loaded. */
let loadedPackage: string | undefined;

export async function loadNative(which: NativeBackend, importModule: ModuleImporter): Promise<LoadOutcome> {
  const pkg = NATIVE_PACKAGES[which];
  if (loadedPackage !== undefined && loadedPackage !== pkg && tf.findBackendFactory(TFJS_NATIVE_NAME) !== null) {
    return { ok: false, reason: `${loadedPackage} is already loaded in this process and provides the same 'tensorflow' backend` };
  }
  try {
    await importModule(pkg);
  } catch (e) {
    if (isMissingPackage(e, pkg)) return { ok: false, reason: `${pkg} is not installed (npm install ${pkg})` };
    return { ok: false, reason: `${pkg} failed to load: ${firstLine(e)}` };
  }
  if (tf.findBackendFactory(TFJS_NATIVE_NAME) === null) {
    // It registered with its own copy of @tensorflow/tfjs-core, invisible to ours.
    return {
      ok: false,
      reason: `${pkg} loaded but did not register a 'tensorflow' backend with this @tensorflow/tfjs (${tf.version_core}); install a matching version`,
    };
  }
  if (!(await tf.setBackend(TFJS_NATIVE_NAME))) {
    return { ok: false, reason: `${pkg} loaded but its backend failed to initialise (tfjs logged the cause above)` };
  }
  loadedPackage = pkg;
  return { ok: true, notes: [] };
}

function isMissingPackage(e: unknown, pkg: string): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && message.includes(pkg);
}
