// The environment a child process that multiplies with the system OpenBLAS (the torch engine's
// training and generate programs) is spawned with: the same kernel set as this process, once a
// product with it has been checked against loops here (coretype.ts says why the set matters).
//
// The check loads the library into this process (library.ts's findBlas, which sets
// OPENBLAS_CORETYPE in process.env before its dlopen and takes it back if the check fails), so a
// child only ever inherits a kernel set that multiplied correctly on this CPU. Without koffi or a
// BLAS here nothing is added: the child's OpenBLAS then detects its kernels itself. The child's
// malloc is told to keep what it frees (util/malloc-env.ts: 2.5× on a CPU training step).
import { keepFreedMemoryEnv, torchAllocatorNote } from '../../util/malloc-env.js';
import { findBlas, type BlasOutcome } from './library.js';

export interface ChildBlasEnv {
  env: NodeJS.ProcessEnv;
  /** What the child's BLAS kernels are and why, for the run's notes. */
  note: string;
}

/**
 * `base` (default: this process's environment) with this process's checked OPENBLAS_CORETYPE and
 * the thread split, each only where the user did not set the variable: OPENBLAS_NUM_THREADS =
 * cores / processes (more BLAS threads than a process's cores only fight each other), and with
 * `intraOpThreads` OMP_NUM_THREADS (torch's intra-op pool). OpenBLAS falls back to OMP_NUM_THREADS
 * when OPENBLAS_NUM_THREADS is unset, so the two are always set together.
 */
export async function childBlasEnv(options: {
  processes: number;
  cores: number;
  /** torch's intra-op threads per process; absent: torch's own default. */
  intraOpThreads?: number;
  /** OpenBLAS's threads per process; absent: cores / processes. */
  blasThreads?: number;
  base?: NodeJS.ProcessEnv;
  /** How to find and check the BLAS here; tests replace it. */
  find?: () => Promise<BlasOutcome>;
}): Promise<ChildBlasEnv> {
  const found = await (options.find ?? findBlas)();
  const base = options.base ?? process.env;
  const env: NodeJS.ProcessEnv = { ...base };
  let note: string;
  if (found.ok) {
    const kernels = process.env['OPENBLAS_CORETYPE'];
    if (kernels !== undefined && kernels !== '') env['OPENBLAS_CORETYPE'] = kernels;
    note = `child BLAS kernels: ${found.blas.kernelNotes[0] ?? 'as the library detects them'}${found.blas.kernels !== undefined ? `, checked here (${found.blas.kernels})` : ''}`;
  } else {
    note = `child BLAS kernels: OpenBLAS's own detection (not checked here: ${found.reason})`;
  }
  if ((base['OPENBLAS_NUM_THREADS'] ?? '') === '') {
    env['OPENBLAS_NUM_THREADS'] = String(options.blasThreads ?? Math.max(1, Math.floor(options.cores / Math.max(1, options.processes))));
  }
  if (options.intraOpThreads !== undefined && (base['OMP_NUM_THREADS'] ?? '') === '') env['OMP_NUM_THREADS'] = String(options.intraOpThreads);
  const malloc = keepFreedMemoryEnv(base);
  Object.assign(env, malloc);
  return { env, note: `${note}; allocator: ${torchAllocatorNote(base)}` };
}
