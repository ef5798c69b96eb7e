// `npm run bench`: trains each reference configuration (bench/configs.ts) with SFT and SFT-GO on
// every engine and backend available here and on a PyTorch peer (bench/peer.py, under every split
// of its intra-op and BLAS threads), in the same invocation, and prints one row per engine with its share of the machine's
// peak and its speed against the peer at its best (the faster of its thread counts on that row).
// Then generation's decode rows (bench/decode.ts): generated tokens/s with a key/value cache, the
// tfjs engine against the peer's cached greedy decode, batch 1 and 8, on the model configurations.
// Not a unit test; run by hand. See docs/performance.md.
//
//   npm run bench [-- --config toy,small,head] [--steps N] [--warmup N] [--rounds N] [--precision fp32|bf16] [--quick] [--json]
//                    [--backend auto,wasm] [--ops-row] [--kernels Haswell,SkylakeX] [--threads 1,2]
//                    [--no-peer] [--no-decode]
//
// The machine's peak is the best plain 1024³ matMul GFLOP/s of the peer's BLAS over the OpenBLAS
// kernel sets this CPU supports (`peer.py --blas` under each OPENBLAS_CORETYPE, at the start of the
// run); the first probe also says which BLAS torch uses: a reference BLAS makes the peer unfair and
// the table says so. Every row runs the kernel set our engine would choose (coretype.ts); the peer
// runs every split of torch intra-op threads × OpenBLAS threads from --threads. Each configuration × objective × backend runs in its own child process (this
// file with --child), so its peak RSS is its own; the child also measures the backend's plain 2-D
// matMul FLOP/s on the configuration's largest product. The load average is printed with the
// figures: on a shared machine compare only rows of one run.
import { spawnSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chooseCoreType, readCpuFlags, supportedCoreSets } from '../src/backend/blas/coretype.js';
import { isBackendRequest, type BackendRequest } from '../src/backend/names.js';
import { CONFIG_NAMES, CONFIGS, stepFlops, stepTokens, type BenchConfig, type ConfigName, type ModelBenchConfig } from './configs.js';
import { decodeBench, printDecodeTable } from './decode.js';
import { runChild, type ChildRequest, type ChildResult } from './measure.js';
import { median, type Measured } from './measured.js';
import { findPeerPython, peerMallocNote, peerVerdict, probePeerBlas, runPeer, type PeerBlas } from './peer.js';
import { runTorchEngine, torchEngineSupports } from './torch-engine.js';
import { splitNote } from '../src/engine/torch/thread-split.js';
import { torchAllocatorNote } from '../src/util/malloc-env.js';

interface Options {
  configs: ConfigName[];
  /** Given on the command line: every configuration runs these; else DEFAULT_COUNTS. */
  steps?: number;
  warmup?: number;
  /** Fresh processes per row; each row keeps its fastest (lowest-median) round. */
  rounds: number;
  /** The products' precision of every row: ours train.precision, the peer's torch.autocast (bf16). */
  precision: 'fp32' | 'bf16';
  json: boolean;
  /** tfjs backends to run, in order; `auto` first means the default engine's row comes first. */
  backends: BackendRequest[];
  /** Also a wasm-blas row with the native trunk and head off (tfjs ops, BLAS products): what they buy. */
  opsRow: boolean;
  /** Extra rows of the default engine (auto) on these OpenBLAS kernel sets, beside the chosen one. */
  kernels: string[];
  /** The peer's thread counts, one row each; ratios are against the fastest. */
  threads: number[];
  peer: boolean;
  /** Generation's decode rows (bench/decode.ts) after the training table; off with --no-decode. */
  decode: boolean;
}


/**
 * One way of training the bench's model: a tfjs backend, the peer, or (issue 8) the generated
 * torch program. `label` is the row's engine column.
 */
interface EngineRunner {
  label: string;
  /** The peer is the reference the other rows are compared with. */
  isPeer: boolean;
  run(config: BenchConfig, variant: string): Measured | Promise<Measured>;
  /** Configurations it has rows for (all when absent). */
  supports?(config: BenchConfig): boolean;
}

export interface Row {
  config: ConfigName;
  objective: string;
  /** 'fused' | 'unfused' for the head configuration. */
  variant: string | null;
  /** 'tfjs wasm-blas (auto)', 'tfjs wasm', 'peer torch 1.13 eager', … */
  engine: string;
  is_peer: boolean;
  ms_per_step: number;
  /** The fastest timed step: on a busy machine closer to the work itself than the median. */
  best_ms_per_step: number;
  cpu_ms_per_step: number;
  tokens_per_s: number;
  peak_rss_mb: number;
  achieved_gflops: number;
  /** achieved_gflops over the machine's peak (the peer's 1024³ matMul); null without a peer. */
  peak_share: number | null;
  matmul_gflops: number;
  leaked_tensors: number | null;
  first_loss: number | null;
  last_loss: number | null;
  /** This row's tokens/s over the fastest peer row's (> 1: faster); null for the peer itself or without one. */
  vs_peer: number | null;
  /** 1-minute load average when the row started. */
  load: number;
}

function usage(message: string): never {
  process.stderr.write(`bench: ${message}\nusage: npm run bench -- [--config ${CONFIG_NAMES.join(',')}] [--steps N] [--warmup N] [--rounds N] [--precision fp32|bf16] [--quick] [--json] [--backend auto,wasm] [--ops-row] [--kernels Haswell,…] [--threads 1,2] [--no-peer] [--no-decode]\n`);
  process.exit(2);
}

function positiveInteger(flag: string, value: string | undefined, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) usage(`${flag} needs an integer ≥ ${min}, got '${value ?? ''}'`);
  return n;
}

/**
 * Warm-up and timed steps per configuration when --warmup / --steps are not given. Why so many for
 * toy: its steps take 15–30 ms, the first ~10 of a process run slower on both sides (V8 tiering up
 * the JavaScript, OpenBLAS starting its threads, torch's allocator filling its caches), and on this
 * 2-core VM single steps swing by ±40% with other tenants' load, so a median of 6 steps measured
 * the warm-up and the noise more than the step (issue 20's first table: the same engine at 17–24 ms).
 */
const DEFAULT_COUNTS: Record<ConfigName, { warmup: number; steps: number }> = {
  toy: { warmup: 10, steps: 40 },
  small: { warmup: 3, steps: 12 },
  head: { warmup: 2, steps: 10 },
};

function counts(o: Options, config: BenchConfig): { warmup: number; steps: number } {
  const d = DEFAULT_COUNTS[config.name];
  return { warmup: o.warmup ?? d.warmup, steps: o.steps ?? d.steps };
}

function parseOptions(argv: string[]): Options {
  const o: Options = { configs: [...CONFIG_NAMES], rounds: 1, precision: 'fp32', json: false, backends: ['auto', 'wasm'], opsRow: false, kernels: [], threads: [1, 2], peer: true, decode: true };
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
      case '--rounds': o.rounds = positiveInteger(flag, value()); break;
      case '--precision': {
        const p = value();
        if (p !== 'fp32' && p !== 'bf16') usage(`--precision needs fp32 or bf16, got '${p ?? ''}'`);
        o.precision = p;
        break;
      }
      case '--threads': {
        const list = (value() ?? '').split(',').filter((n) => n !== '');
        if (list.length === 0) usage('--threads needs a list');
        o.threads = list.map((n) => positiveInteger(flag, n));
        break;
      }
      case '--quick': quick = true; break;
      case '--json': o.json = true; break;
      case '--no-peer': o.peer = false; break;
      case '--no-decode': o.decode = false; break;
      case '--ops-row': o.opsRow = true; break;
      case '--kernels': {
        const list = (value() ?? '').split(',').filter((n) => n !== '');
        if (list.length === 0) usage('--kernels needs a list of OpenBLAS core names (Haswell,SkylakeX,…)');
        o.kernels = list;
        break;
      }
      case '--backend': {
        const names = (value() ?? '').split(',').filter((n) => n !== '');
        for (const b of names) if (!isBackendRequest(b)) usage(`unknown backend '${b}'`);
        if (names.length === 0) usage('--backend needs a list');
        o.backends = names as BackendRequest[];
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

/** `kernels`: run the child on that OpenBLAS kernel set instead of the one every other row runs. */
function runChildProcess(request: ChildRequest, kernels?: string): ChildResult {
  const self = fileURLToPath(import.meta.url);
  const env = kernels === undefined ? process.env : { ...process.env, SFTGOC_BLAS_CORETYPE: kernels, OPENBLAS_CORETYPE: kernels };
  // execArgv carries tsx's loader when run from source.
  const r = spawnSync(process.execPath, [...process.execArgv, self, '--child', JSON.stringify(request)], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bench child ${request.config.name}/${request.variant}/${request.backend} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

/**
 * The tfjs rows: one per requested backend, each resolved by its first run; a backend that
 * resolves to one already run (auto → wasm on a machine without BLAS) is not run twice.
 */
function tfjsRunners(o: Options, log: (line: string) => void): EngineRunner[] {
  const resolved = new Map<BackendRequest, string>();
  const runners: EngineRunner[] = [];
  for (const backend of o.backends) {
    const runner: EngineRunner = {
      label: `tfjs ${backend}`,
      isPeer: false,
      run: (config, variant) => {
        const r = runChildProcess({ config, variant, backend, ...counts(o, config), precision: o.precision });
        if (!resolved.has(backend)) {
          resolved.set(backend, r.backend);
          runner.label = backend === 'auto' ? `tfjs ${r.backend} (auto)` : `tfjs ${r.backend}`;
          if (backend === 'auto') for (const note of r.notes.filter((n) => /skipped|^matrix products/.test(n))) log(`auto: ${note}`);
        }
        return r;
      },
    };
    runners.push(runner);
  }
  // The default engine on other kernel sets, in the same run: what the kernel choice buys.
  for (const kernels of o.kernels) {
    runners.push({
      label: `tfjs auto, ${kernels} kernels`,
      isPeer: false,
      run: (config, variant) => runChildProcess({ config, variant, backend: 'auto', ...counts(o, config), precision: o.precision }, kernels),
    });
  }
  if (o.opsRow) {
    runners.push({
      label: 'tfjs wasm-blas, tfjs ops (native trunk and head off)',
      isPeer: false,
      run: (config, variant) => runChildProcess({ config, variant, backend: 'wasm-blas', nativeKernels: false, ...counts(o, config), precision: o.precision }),
    });
  }
  return runners;
}

/** A runner whose backend resolved to the same one as an earlier runner's (auto → wasm without a BLAS). */
function isDuplicate(runner: EngineRunner, runners: readonly EngineRunner[]): boolean {
  const name = (label: string) => label.replace(/ \(auto\)$/, '');
  return runners.slice(0, runners.indexOf(runner)).some((d) => !d.isPeer && name(d.label) === name(runner.label));
}

/**
 * The torch engine (`run --engine torch`): the generated program on the peer's Python, one row, with
 * the thread split `run` gives it (src/engine/torch/thread-split.ts), not the peer's sweep: a row
 * per split measured splits `run` never uses, and its "2 threads" row ran 2 intra-op × 2 BLAS.
 */
function torchRunner(python: string, version: string, o: Options): EngineRunner {
  return {
    label: `torch engine ${version}, as run sets it (${splitNote({ device: 'cpu', nproc: 1, precision: o.precision })})`,
    isPeer: false,
    supports: torchEngineSupports,
    run: (config, variant) => {
      const n = counts(o, config);
      return runTorchEngine(python, config as ModelBenchConfig, variant, n.warmup, n.steps, o.precision);
    },
  };
}

function makeRow(config: ConfigName, variant: string, engine: string, isPeer: boolean, m: Measured, peakFlops: number | null, load: number): Row {
  const c = CONFIGS[config];
  const ms = median(m.stepMs);
  const achieved = stepFlops(c) / (ms / 1000);
  return {
    config,
    objective: c.kind === 'head' ? 'sft' : variant,
    variant: c.kind === 'head' ? variant : null,
    engine,
    is_peer: isPeer,
    ms_per_step: ms,
    best_ms_per_step: Math.min(...m.stepMs),
    cpu_ms_per_step: m.cpuMsPerStep,
    tokens_per_s: stepTokens(c) / (ms / 1000),
    peak_rss_mb: m.peakRssMb,
    achieved_gflops: achieved / 1e9,
    peak_share: peakFlops === null ? null : achieved / peakFlops,
    matmul_gflops: m.matMulFlops / 1e9,
    leaked_tensors: m.leakedTensors,
    first_loss: m.firstLoss,
    last_loss: m.lastLoss,
    vs_peer: null,
    load,
  };
}

function fmt(x: number | null, digits = 1): string {
  return x === null || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function printTable(rows: readonly Row[], header: string[]): void {
  for (const line of header) console.log(line);
  const columns = ['config', 'objective', 'engine', 'ms/step', 'best ms', 'cpu ms', 'tok/s', 'RSS MB', 'GFLOP/s', '% peak', 'mm GFLOP/s', 'vs peer', 'load'];
  const lines = rows.map((r) => [
    r.config, r.variant === null ? r.objective : `${r.objective}/${r.variant}`, r.engine,
    fmt(r.ms_per_step), fmt(r.best_ms_per_step), fmt(r.cpu_ms_per_step, 0), fmt(r.tokens_per_s, 0), fmt(r.peak_rss_mb, 0), fmt(r.achieved_gflops, 2),
    r.peak_share === null ? '–' : `${fmt(100 * r.peak_share, 1)}%`, fmt(r.matmul_gflops, 1), r.vs_peer === null ? '–' : `${r.vs_peer.toFixed(2)}×`, fmt(r.load, 1),
  ]);
  const widths = columns.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const show = (cells: string[]): string => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(show(columns));
  for (const l of lines) console.log(show(l));
  // The targets of docs/performance.md, from this run.
  const engines = [...new Set(rows.filter((r) => !r.is_peer).map((r) => r.engine))];
  for (const engine of engines) {
    for (const config of ['toy', 'small'] as const) {
      const sft = rows.find((r) => r.engine === engine && r.config === config && r.objective === 'sft');
      const go = rows.find((r) => r.engine === engine && r.config === config && r.objective === 'sftgo');
      if (sft !== undefined && go !== undefined) console.log(`${engine}, ${config}: SFT-GO step / SFT step = ${(go.ms_per_step / sft.ms_per_step).toFixed(3)}`);
    }
    const fused = rows.find((r) => r.engine === engine && r.config === 'head' && r.variant === 'fused');
    const unfused = rows.find((r) => r.engine === engine && r.config === 'head' && r.variant === 'unfused');
    if (fused !== undefined && unfused !== undefined) {
      console.log(`${engine}, head: fused/unfused peak RSS = ${(fused.peak_rss_mb / unfused.peak_rss_mb).toFixed(3)}, time = ${(fused.ms_per_step / unfused.ms_per_step).toFixed(3)}`);
    }
  }
  for (const r of rows.filter((x) => x.leaked_tensors !== null && x.leaked_tensors !== 0)) {
    console.log(`warning: ${r.engine} ${r.config}/${r.objective} left ${r.leaked_tensors} more tensors alive after its timed steps`);
  }
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') {
    const result = await runChild(JSON.parse(argv[1]!) as ChildRequest);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const o = parseOptions(argv);
  const log = (line: string): void => void (o.json ? undefined : process.stderr.write(`bench: ${line}\n`));
  const lookup = o.peer ? findPeerPython() : ({ ok: false, reason: 'not run (--no-peer)' } as const);
  const header: string[] = [];
  let peakFlops: number | null = null;
  let peerBlas: PeerBlas | null = null;
  // One kernel set for every row, ours and the peer's: the one our engine would choose here, set
  // before any child starts so each inherits it (SFTGOC_BLAS_CORETYPE=off|auto|<set> changes it).
  const flags = readCpuFlags();
  const kernels = chooseCoreType(flags, process.env);
  if (kernels.set !== undefined) process.env['OPENBLAS_CORETYPE'] = kernels.set;
  header.push(`OpenBLAS kernels for every row (but --kernels rows): ${kernels.note}`);
  if (lookup.ok) {
    peerBlas = probePeerBlas(lookup.python, Math.max(...o.threads));
    const verdict = peerVerdict(peerBlas);
    header.push(verdict.line);
    header.push(`peer allocator: ${peerMallocNote()}; torch engine rows: ${torchAllocatorNote(process.env)}`);
    header.push(o.precision === 'bf16'
      ? 'precision: bf16 products on every row (ours: train.precision = "bf16", oneDNN; the torch engine: its trunk under torch.autocast; the peer: torch.autocast("cpu", bfloat16))'
      : 'precision: float32 on every row');
    // The machine's peak is the best 1024³ product over the kernel sets the library has for this CPU,
    // not whatever set the rows happen to run: a row on weaker kernels then shows it.
    const rowsSet = peerBlas.kernels ?? 'the rows\' BLAS';
    const others = supportedCoreSets(flags).filter((set) => set.toLowerCase() !== rowsSet.toLowerCase());
    const sweep = [
      { set: `${rowsSet} (the rows')`, gflops: peerBlas.matMul1024Gflops },
      ...others.map((set) => ({ set, gflops: probePeerBlas(lookup.python, Math.max(...o.threads), set).matMul1024Gflops })),
    ];
    const peak = sweep.reduce((a, b) => (b.gflops > a.gflops ? b : a));
    peakFlops = peak.gflops * 1e9;
    header.push(`machine peak: ${peak.gflops.toFixed(1)} GFLOP/s, the best 1024³ matMul over kernel sets (${sweep.map((x) => `${x.set} ${x.gflops.toFixed(0)}`).join(', ')}); "% peak" is each row's achieved GFLOP/s over it`);
  } else {
    header.push(`peer missing: ${lookup.reason}`);
  }
  log(`${o.configs.map((name) => { const n = counts(o, CONFIGS[name]); return `${name} ${n.warmup} warm-up + ${n.steps} timed steps`; }).join(', ')} per row, ${o.rounds} round${o.rounds === 1 ? '' : 's'} (each row its fastest); ${header[0]}`);

  const runners: EngineRunner[] = tfjsRunners(o, log);
  if (lookup.ok) {
    // One row per split of torch's intra-op threads × OpenBLAS's threads (separate pools: with small
    // models one intra-op thread and two BLAS threads is often fastest); the comparison is with the
    // fastest row, the peer at its best.
    for (const threads of o.threads) {
      for (const blasThreads of o.threads) {
        runners.push({
          label: `peer torch ${lookup.version} eager, ${threads} intra-op × ${blasThreads} BLAS`,
          isPeer: true,
          run: (config, variant) => {
            const n = counts(o, config);
            return { ...runPeer(lookup.python, config, variant, n.warmup, n.steps, threads, blasThreads, o.precision), leakedTensors: null };
          },
        });
      }
    }
    runners.push(torchRunner(lookup.python, lookup.version, o));
  }

  const rows: Row[] = [];
  const loadAtStart = loadavg()[0]!;
  for (const config of o.configs) {
    const c = CONFIGS[config];
    for (const variant of c.kind === 'head' ? ['fused', 'unfused'] : ['sft', 'sftgo']) {
      // Each round runs every row once, in order; a row keeps its round with the lowest median.
      // Why: a process now and then runs its whole life ~20% slow on this VM (the first child of a
      // run most often), on either side; the same number of fresh processes for every row, ours and
      // the peer's, keeps the comparison even.
      const kept = new Map<EngineRunner, Row>();
      for (let round = 1; round <= o.rounds; round++) {
        for (const runner of runners) {
          if (isDuplicate(runner, runners) || runner.supports?.(c) === false) continue;
          const load = loadavg()[0]!;
          log(`${config}/${variant} on ${runner.label} (load ${load.toFixed(1)})${o.rounds > 1 ? `, round ${round}/${o.rounds}` : ''} ...`);
          const measured = await runner.run(c, variant);
          if (isDuplicate(runner, runners)) continue; // resolved just now to a backend already in the table
          const row = makeRow(config, variant, runner.label, runner.isPeer, measured, peakFlops, load);
          const before = kept.get(runner);
          if (before === undefined || row.ms_per_step < before.ms_per_step) kept.set(runner, row);
        }
      }
      const group: Row[] = runners.filter((r) => kept.has(r)).map((r) => kept.get(r)!);
      const peers = group.filter((r) => r.is_peer);
      const best = peers.length === 0 ? undefined : peers.reduce((a, b) => (b.tokens_per_s > a.tokens_per_s ? b : a));
      for (const r of group) if (!r.is_peer && best !== undefined) r.vs_peer = r.tokens_per_s / best.tokens_per_s;
      rows.push(...group);
    }
  }
  header.push(`load average (1 min): ${loadAtStart.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, on ${availableParallelism()} cores`);
  const modelConfigs = o.configs.filter((c) => CONFIGS[c].kind === 'model');
  const decode = o.decode && modelConfigs.length > 0 ? decodeBench(modelConfigs, log) : undefined;
  if (o.json) console.log(JSON.stringify({ header, peer_blas: peerBlas, rows, ...(decode !== undefined ? { decode: decode.rows } : {}) }, null, 2));
  else {
    printTable(rows, header);
    if (decode !== undefined) printDecodeTable(decode.rows, decode.peerMissing);
  }
}

await main(process.argv.slice(2));
