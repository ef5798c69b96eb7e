// Finding and running the PyTorch peer (bench/peer.py). Python with torch is $SFTGOC_PEER_PYTHON
// when set (only that one), else the first of `python3` and `/usr/bin/python3` that imports torch
// (Debian's python3-torch is under /usr/bin while a pyenv python3 may come first on PATH). Without
// one the bench says so and runs ours alone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIMIZER, referenceMatMulShape, type BenchConfig } from './configs.js';
import { median, type Measured } from './measured.js';
import { importantMask, syntheticData } from './synthetic.js';
import { keepFreedMemoryEnv, torchAllocatorNote } from '../src/util/malloc-env.js';

/**
 * The peer's environment: this process's, with `threads` torch intra-op threads and `blasThreads`
 * OpenBLAS threads, and glibc's malloc told to keep freed memory (what the torch engine's children
 * get: src/util/malloc-env.ts says why; the peer's `small` step is ~2.5× faster with it, so without
 * it the peer is not at its best). SFTGOC_PEER_MALLOC=default leaves glibc's defaults, to measure
 * what the setting buys.
 */
function peerEnv(threads: number, blasThreads = threads): NodeJS.ProcessEnv {
  const malloc = process.env['SFTGOC_PEER_MALLOC'] === 'default' ? {} : keepFreedMemoryEnv(process.env);
  return { ...process.env, ...malloc, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(blasThreads) };
}

/** How the peer's allocator runs, for the bench's header. */
export function peerMallocNote(): string {
  return process.env['SFTGOC_PEER_MALLOC'] === 'default' ? "glibc malloc's defaults (SFTGOC_PEER_MALLOC=default)" : torchAllocatorNote(process.env);
}

/** The peer's measurements (it cannot count tensors) and the BLAS-backed device it ran on. */
export interface PeerResult extends Omit<Measured, 'leakedTensors'> {
  backend: string;
}

export type PeerLookup = { ok: true; python: string; version: string } | { ok: false; reason: string };

/** What `peer.py --blas` reports: the BLAS torch multiplies with, and its 1024³ matMul speed. */
export interface PeerBlas {
  /** The kernel set of the mapped OpenBLAS (openblas_get_corename); null for another BLAS. */
  kernels: string | null;
  torch: string;
  threads: number;
  /** torch's build setting (Debian's is 'generic': whatever libblas.so.3 resolves to at run time). */
  buildBlas: string | null;
  /** Resolved paths of the BLAS libraries mapped into the process. */
  libraries: string[];
  kind: 'openblas' | 'mkl' | 'blis' | 'reference' | 'unknown';
  matMul1024Gflops: number;
}

/** Below this a 1024³ product shows a reference BLAS (5–6 GFLOP/s here), not an optimized one (100–200). */
export const FAIR_PEER_MIN_GFLOPS = 30;

/** The fix for Debian/Ubuntu: the optimized BLAS becomes libblas.so.3's alternative, which torch loads. */
export const FAIR_PEER_FIX = 'sudo apt-get install libopenblas0-pthread';

/**
 * One line on the peer's fairness: a reference BLAS (or a product slower than
 * FAIR_PEER_MIN_GFLOPS) makes every ratio against it meaningless.
 */
export function peerVerdict(blas: PeerBlas): { fair: boolean; line: string } {
  const speed = `torch ${blas.torch}, ${blas.threads} threads, ${blas.kind} BLAS${blas.kernels !== null ? ` with ${blas.kernels} kernels` : ''} (${blas.libraries.join(', ') || 'none mapped'}), 1024³ matMul ${blas.matMul1024Gflops.toFixed(1)} GFLOP/s`;
  if (blas.matMul1024Gflops >= FAIR_PEER_MIN_GFLOPS) return { fair: true, line: `peer: ${speed}` };
  if (blas.kind === 'reference' || blas.kind === 'unknown') {
    return { fair: false, line: `peer uses a reference BLAS: not a fair peer (${speed}); fix: ${FAIR_PEER_FIX}` };
  }
  return { fair: false, line: `peer's ${blas.kind} BLAS ran below ${FAIR_PEER_MIN_GFLOPS} GFLOP/s: the machine is busy, not a fair comparison (${speed})` };
}

/** The peer's BLAS and its 1024³ speed; `kernels` runs it under that OPENBLAS_CORETYPE instead of this process's. */
export function probePeerBlas(python: string, threads: number, kernels?: string): PeerBlas {
  const env = peerEnv(threads);
  if (kernels !== undefined) env['OPENBLAS_CORETYPE'] = kernels;
  const r = spawnSync(python, [peerScript(), '--blas', '--threads', String(threads)], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`peer --blas failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerBlas;
}

export function findPeerPython(): PeerLookup {
  // An explicit choice is the only one tried, so a wrong one is reported rather than silently replaced.
  const chosen = process.env['SFTGOC_PEER_PYTHON'];
  const candidates = chosen !== undefined && chosen !== '' ? [chosen] : ['python3', '/usr/bin/python3'];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return { ok: true, python, version: r.stdout.trim() };
    tried.push(`${python}: ${r.error !== undefined ? r.error.message : (r.stderr.trim().split('\n').pop() ?? `exit ${r.status}`)}`);
  }
  return { ok: false, reason: `no Python with torch (${tried.join('; ')}); set SFTGOC_PEER_PYTHON` };
}

/** bench/peer.py, from bench/ (tsx) or dist/bench/ (compiled). */
export function peerScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, 'peer.py'), path.join(here, '..', '..', 'bench', 'peer.py')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`bench/peer.py not found next to ${here}`);
}

/**
 * One peer row: `threads` torch intra-op threads (OMP_NUM_THREADS and torch.set_num_threads) and
 * `blasThreads` OpenBLAS threads, which are separate pools: the bench tries every split.
 */
export function runPeer(python: string, config: BenchConfig, variant: string, warmup: number, steps: number, threads: number, blasThreads = threads, precision: 'fp32' | 'bf16' = 'fp32'): PeerResult {
  const request: Record<string, unknown> = { config, variant, warmup, steps, threads, precision, optimizer: OPTIMIZER, matMulShape: referenceMatMulShape(config) };
  if (config.kind === 'model') {
    const data = syntheticData(config.vocab, config.seq, config.batch, 4);
    request['batches'] = data.batches.map((b) => ({
      inputIds: Array.from(b.inputIds),
      targets: Array.from(b.targets),
      lossMask: Array.from(b.lossMask),
      important: Array.from(importantMask(b, data.tfidf)),
    }));
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'sftgoc-bench-'));
  try {
    const file = path.join(dir, 'request.json');
    writeFileSync(file, JSON.stringify(request));
    const env = peerEnv(threads, blasThreads);
    const r = spawnSync(python, [peerScript(), '--request', file], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`peer ${config.name}/${variant} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as PeerResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Generation's bench row (issue 16): greedy decode with a key/value cache, the way Hugging Face's
 * `generate` runs (one prefill, then one token per step). Rows of batch 1 and batch 8, prompts of
 * DECODE_BENCH.promptTokens and DECODE_BENCH.newTokens generated per row; a tfjs row belongs beside
 * each, on the same shape.
 */
export const DECODE_BENCH = { batches: [1, 8], promptTokens: 32, newTokens: 64, warmup: 1, reps: 5 } as const;

/** What `peer.py --decode` measures for one batch size; tokensPerS is derived here. */
export interface PeerDecodeResult {
  backend: string;
  batch: number;
  promptTokens: number;
  newTokens: number;
  /** Prefill + every step, per timed repetition. */
  totalMs: number[];
  /** The prefill alone (a separate call), per repetition. */
  prefillMs: number[];
  cpuMsPerRep: number;
  peakRssMb: number;
  /** The cached loop's first tokens equal a full recompute's: the timing is of a real cached decode. */
  matchesFullRecompute: boolean;
  /** batch · newTokens over the median totalMs: generated tokens per second. */
  tokensPerS: number;
}

/**
 * Times the peer's cached greedy decode at its best on this kind of machine: 1 intra-op thread
 * (the per-token products are too small to split) with OpenBLAS on 2 threads, unless told otherwise.
 */
export function runPeerDecode(
  python: string,
  config: BenchConfig,
  batch: number,
  shape: { promptTokens?: number; newTokens?: number; warmup?: number; reps?: number; threads?: number; blasThreads?: number } = {},
): PeerDecodeResult {
  if (config.kind !== 'model') throw new Error(`decode needs a model configuration, not ${config.name}`);
  const threads = shape.threads ?? 1;
  const blasThreads = shape.blasThreads ?? 2;
  const request = {
    config, batch, threads,
    promptTokens: shape.promptTokens ?? DECODE_BENCH.promptTokens,
    newTokens: shape.newTokens ?? DECODE_BENCH.newTokens,
    warmup: shape.warmup ?? DECODE_BENCH.warmup,
    reps: shape.reps ?? DECODE_BENCH.reps,
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'sftgoc-bench-'));
  try {
    const file = path.join(dir, 'decode.json');
    writeFileSync(file, JSON.stringify(request));
    const env = peerEnv(threads, blasThreads);
    const r = spawnSync(python, [peerScript(), '--decode', file], { encoding: 'utf8', env, maxBuffer: 16 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`peer decode ${config.name}/batch ${batch} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as Omit<PeerDecodeResult, 'tokensPerS'>;
    return { ...result, tokensPerS: (result.batch * result.newTokens) / (median(result.totalMs) / 1000) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
