// How the torch engine's processes split the CPU's cores, in one place for `run --engine torch`
// and the bench's torch-engine row (so that the bench measures what `run` does):
//   - one process on the CPU: torch's intra-op pool on one thread and OpenBLAS on every core, the
//     fastest split measured for small models (docs/performance.md: the products are most of a
//     step, and torch's pool and OpenBLAS's threads fight when both take every core);
//   - the same with train.precision = "bf16": the other way round, torch's pool on every core and
//     OpenBLAS on one, because the trunk's bf16 products run on oneDNN, in torch's own pool
//     (the toy program's step: 20.4 ms against 23.1 the float32 way; the bench's peer under
//     autocast, small: 131 ms against 215);
//   - several processes on the CPU: each takes cores / processes threads, set by the program
//     itself (set_num_threads) and for its OpenBLAS;
//   - CUDA: torch's own defaults.
// A variable the user set (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS) wins (child-env.ts).
import { cpus } from 'node:os';
import { childBlasEnv, type ChildBlasEnv } from '../../backend/blas/child-env.js';

export interface TorchPlacement {
  device: 'cpu' | 'cuda';
  /** Processes torchrun starts (1 without it). */
  nproc: number;
  /** train.precision: bf16 products run on torch's own threads (oneDNN), float32 ones on OpenBLAS's. */
  precision?: 'fp32' | 'bf16';
}

/** The program's own set_num_threads, or undefined to leave torch's (and the environment's) choice. */
export function programThreads(p: TorchPlacement, cores = cpus().length): number | undefined {
  return p.device === 'cpu' && p.nproc > 1 ? Math.max(1, Math.floor(cores / p.nproc)) : undefined;
}

/** One CPU process's split (undefined otherwise): torch's intra-op threads and OpenBLAS's, and in words. */
function singleProcessSplit(p: TorchPlacement, cores: number): { intraOpThreads: number; blasThreads?: number; note: string } | undefined {
  if (p.device !== 'cpu' || p.nproc !== 1) return undefined;
  return p.precision === 'bf16'
    ? { intraOpThreads: cores, blasThreads: 1, note: 'intra-op on every core × 1 BLAS' }
    : { intraOpThreads: 1, note: '1 intra-op × BLAS on every core' };
}

/** The split in words, for the bench's torch-engine row. */
export function splitNote(p: TorchPlacement): string {
  return singleProcessSplit(p, cpus().length)?.note ?? (p.device === 'cpu' ? 'cores / processes each' : "torch's defaults");
}

/** The child's environment: the checked BLAS kernels, its thread counts, the allocator setting. */
export function torchChildEnv(p: TorchPlacement, base?: NodeJS.ProcessEnv): Promise<ChildBlasEnv> {
  const cores = cpus().length;
  const single = singleProcessSplit(p, cores);
  const split = single === undefined ? {} : { intraOpThreads: single.intraOpThreads, ...(single.blasThreads !== undefined ? { blasThreads: single.blasThreads } : {}) };
  return childBlasEnv({ processes: p.device === 'cpu' ? p.nproc : 1, cores, ...split, ...(base !== undefined ? { base } : {}) });
}
