// `npm run bench`: trains each reference configuration (bench/configs.ts) with SFT and SFT-GO on
// our backend and on a PyTorch peer (bench/peer.py, 2 threads) in the same invocation, and prints
// them side by side. Not a unit test; run by hand. See docs/performance.md.
//
//   npm run bench [-- --config toy,small,head] [--steps 10] [--warmup 2] [--quick] [--json]
//                    [--backend wasm|cpu|tensorflow|auto] [--threads 2] [--no-peer]
//
// Each configuration × objective runs in its own child process (this file with --child), so its
// peak RSS is its own; the child also measures the backend's plain 2-D matMul FLOP/s on the
// configuration's largest product, which the achieved FLOP/s is compared with.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isBackendRequest, type BackendRequest } from '../src/backend/index.js';
import { CONFIG_NAMES, CONFIGS, stepFlops, stepTokens, type ConfigName } from './configs.js';
import { runChild, type ChildRequest, type ChildResult } from './measure.js';
import { findPeerPython, runPeer, type PeerResult } from './peer.js';

interface Options {
  configs: ConfigName[];
  steps: number;
  warmup: number;
  json: boolean;
  backend: BackendRequest;
  threads: number;
  peer: boolean;
}

export interface Row {
  config: ConfigName;
  objective: string;
  /** 'fused' | 'unfused' for the head configuration. */
  variant: string | null;
  backend: string;
  ms_per_step: number;
  cpu_ms_per_step: number;
  tokens_per_s: number;
  peak_rss_mb: number;
  achieved_gflops: number;
  matmul_gflops: number;
  matmul_share: number;
  leaked_tensors: number;
  first_loss: number;
  last_loss: number;
  peer_backend: string | null;
  peer_ms_per_step: number | null;
  /** The peer process's CPU time per step (both threads together). */
  peer_cpu_ms_per_step: number | null;
  peer_tokens_per_s: number | null;
  peer_peak_rss_mb: number | null;
  peer_achieved_gflops: number | null;
  peer_matmul_gflops: number | null;
  /** Our tokens/s over the peer's (> 1: we are faster); null without a peer. */
  ratio: number | null;
}

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\nusage: npm run bench -- [--config ${CONFIG_NAMES.join(',')}] [--steps N] [--warmup N] [--quick] [--json] [--backend NAME] [--threads N] [--no-peer]\n`);
  process.exit(2);
}

function positiveInteger(flag: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`${flag} needs an integer ≥ ${min}, got '${value ?? ''}'`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { configs: [...CONFIG_NAMES], steps: 10, warmup: 2, json: false, backend: 'wasm', threads: 2, peer: true };
  let stepsGiven = false;
  let warmupGiven = false;
  let quick = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string | undefined => argv[++i];
    switch (flag) {
      case '--config': {
        const names = (value() ?? '').split(',').filter((n) => n !== '');
        for (const n of names) if (!(CONFIG_NAMES as string[]).includes(n)) usage(`unknown configuration '${n}' (known: ${CONFIG_NAMES.join(', ')})`);
        if (names.length === 0) usage('--config needs a list');
        o.configs = names as ConfigName[];
        break;
      }
      case '--steps': o.steps = positiveInteger(flag, value()); stepsGiven = true; break;
      case '--warmup': o.warmup = positiveInteger(flag, value(), 0); warmupGiven = true; break;
      case '--threads': o.threads = positiveInteger(flag, value()); break;
      case '--quick': quick = true; break;
      case '--json': o.json = true; break;
      case '--no-peer': o.peer = false; break;
      case '--backend': {
        const b = value() ?? '';
        if (!isBackendRequest(b)) usage(`unknown backend '${b}'`);
        o.backend = b;
        break;
      }
      default: usage(`unknown argument '${flag}'`);
    }
  }
  if (quick) {
    if (!stepsGiven) o.steps = 3;
    if (!warmupGiven) o.warmup = 1;
  }
  return o;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function runChildProcess(request: ChildRequest): ChildResult {
  const self = fileURLToPath(import.meta.url);
  // execArgv carries tsx's loader when run from source.
  const r = spawnSync(process.execPath, [...process.execArgv, self, '--child', JSON.stringify(request)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bench child ${request.config.name}/${request.variant} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

function makeRow(config: ConfigName, variant: string, ours: ChildResult, peer: PeerResult | null): Row {
  const c = CONFIGS[config];
  const ms = median(ours.stepMs);
  const tokens = stepTokens(c);
  const flops = stepFlops(c);
  const peerMs = peer === null ? null : median(peer.stepMs);
  const tokensPerS = tokens / (ms / 1000);
  const peerTokensPerS = peerMs === null ? null : tokens / (peerMs / 1000);
  return {
    config,
    objective: c.kind === 'head' ? 'sft' : variant,
    variant: c.kind === 'head' ? variant : null,
    backend: ours.backend,
    ms_per_step: ms,
    cpu_ms_per_step: ours.cpuMsPerStep,
    tokens_per_s: tokensPerS,
    peak_rss_mb: ours.peakRssMb,
    achieved_gflops: flops / (ms / 1000) / 1e9,
    matmul_gflops: ours.matMulFlops / 1e9,
    matmul_share: flops / (ms / 1000) / ours.matMulFlops,
    leaked_tensors: ours.leakedTensors,
    first_loss: ours.firstLoss,
    last_loss: ours.lastLoss,
    peer_backend: peer?.backend ?? null,
    peer_ms_per_step: peerMs,
    peer_cpu_ms_per_step: peer?.cpuMsPerStep ?? null,
    peer_tokens_per_s: peerTokensPerS,
    peer_peak_rss_mb: peer?.peakRssMb ?? null,
    peer_achieved_gflops: peerMs === null ? null : flops / (peerMs / 1000) / 1e9,
    peer_matmul_gflops: peer === null ? null : peer.matMulFlops / 1e9,
    ratio: peerTokensPerS === null ? null : tokensPerS / peerTokensPerS,
  };
}

function fmt(x: number | null, digits = 1): string {
  return x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function printTable(rows: readonly Row[], peerNote: string): void {
  const header = ['config', 'objective', 'ms/step', 'cpu ms', 'tok/s', 'RSS MB', 'GFLOP/s', 'mm GFLOP/s', 'share', '| peer ms', 'peer cpu', 'peer tok/s', 'peer RSS', 'peer GFLOP/s', 'ratio'];
  const lines = rows.map((r) => [
    r.config, r.variant === null ? r.objective : `${r.objective}/${r.variant}`,
    fmt(r.ms_per_step), fmt(r.cpu_ms_per_step, 0), fmt(r.tokens_per_s, 0), fmt(r.peak_rss_mb, 0), fmt(r.achieved_gflops, 2), fmt(r.matmul_gflops, 2), `${fmt(100 * r.matmul_share, 0)}%`,
    `| ${fmt(r.peer_ms_per_step)}`, fmt(r.peer_cpu_ms_per_step, 0), fmt(r.peer_tokens_per_s, 0), fmt(r.peer_peak_rss_mb, 0), fmt(r.peer_achieved_gflops, 2), r.ratio === null ? '–' : `${r.ratio.toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const show = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(`ours: ${rows[0]?.backend ?? '?'}; peer: ${peerNote}`);
  console.log(show(header));
  for (const l of lines) console.log(show(l));
  // The targets of docs/performance.md, from this run.
  for (const config of ['toy', 'small'] as const) {
    const sft = rows.find((r) => r.config === config && r.objective === 'sft');
    const go = rows.find((r) => r.config === config && r.objective === 'sftgo');
    if (sft !== undefined && go !== undefined) console.log(`${config}: SFT-GO step / SFT step = ${(go.ms_per_step / sft.ms_per_step).toFixed(3)}`);
  }
  const fused = rows.find((r) => r.config === 'head' && r.variant === 'fused');
  const unfused = rows.find((r) => r.config === 'head' && r.variant === 'unfused');
  if (fused !== undefined && unfused !== undefined) {
    console.log(`head: fused/unfused peak RSS = ${(fused.peak_rss_mb / unfused.peak_rss_mb).toFixed(3)}, time = ${(fused.ms_per_step / unfused.ms_per_step).toFixed(3)}`);
  }
  const leaks = rows.filter((r) => r.leaked_tensors !== 0);
  for (const r of leaks) console.log(`warning: ${r.config}/${r.objective} left ${r.leaked_tensors} more tensors alive after its timed steps`);
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    const result = await runChild(JSON.parse(argv[1]!) as ChildRequest);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const o = parseOptions(argv);
  const lookup = o.peer ? findPeerPython() : ({ ok: false, reason: 'not run (--no-peer)' } as const);
  const peerNote = lookup.ok ? `${lookup.python} (torch ${lookup.version}, ${o.threads} threads)` : `missing: ${lookup.reason}`;
  if (!o.json) process.stderr.write(`bench: ${o.warmup} warm-up + ${o.steps} timed steps per row; peer ${peerNote}\n`);
  const rows: Row[] = [];
  for (const config of o.configs) {
    const c = CONFIGS[config];
    for (const variant of c.kind === 'head' ? ['fused', 'unfused'] : ['sft', 'sftgo']) {
      if (!o.json) process.stderr.write(`bench: ${config}/${variant} ...\n`);
      const ours = runChildProcess({ config: c, variant, backend: o.backend, warmup: o.warmup, steps: o.steps });
      const peer = lookup.ok ? runPeer(lookup.python, c, variant, o.warmup, o.steps, o.threads) : null;
      rows.push(makeRow(config, variant, ours, peer));
    }
  }
  if (o.json) console.log(JSON.stringify(rows, null, 2));
  else printTable(rows, peerNote);
}

await main(process.argv.slice(2));
