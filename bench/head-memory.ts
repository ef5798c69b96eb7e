// Peak memory and wall time of one forward + backward of the loss head: fused (src/head/fused-ce.ts)
// against the unfused reference (src/head/reference.ts). Not a unit test.
//
//   npx tsx bench/head-memory.ts [--backend wasm|cpu] [--vocab 32768] [--tokens 2048] [--width 256]
//                                [--chunk 4096] [--entropy] [--repeats 2] [--kernels]
//
// Memory: each variant runs in its own child process so that its peak RSS (getrusage maxrss) is its
// own: one warm-up step, then one step under tf.profile for the peak of tfjs-tracked tensor bytes.
// Time: a third child builds both variants on the same inputs and alternates them (fused, unfused,
// then unfused, fused, ...) for `repeats` rounds after a warm-up of each, so that load from other
// processes on a shared machine falls on both alike; it reports wall time and the process's CPU time
// (user + system) per step. The backends run single-threaded in Node, so CPU time is the compute
// time and is barely inflated by contention; wall time is.
// A step is tf.grads of Σ g·ce (+ Σ g'·entropy) in hidden and weight, with ~10% of the upstream
// weights zero (masked tokens), read back to the host.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.js';
import { tokenStats } from '../src/head/fused-ce.js';
import { referenceTokenStats } from '../src/head/reference.js';

type Variant = 'fused' | 'unfused';
type ChildRole = Variant | 'timing';

interface Settings {
  backend: 'wasm' | 'cpu';
  vocab: number;
  tokens: number;
  width: number;
  chunk: number;
  entropy: boolean;
  repeats: number;
  /** Also print the most expensive kernels of each variant. */
  kernels: boolean;
  /** Time the fused variant only (set by the parent when the unfused one could not run). */
  fusedOnly: boolean;
}

interface MemoryResult {
  variant: Variant;
  backend: string;
  /** Peak of tfjs-tracked tensor bytes during the profiled step, inputs included. */
  peakTensorBytes: number;
  /** Tensor bytes held before the step: the inputs. */
  inputTensorBytes: number;
  /** Peak resident set of the whole child process. */
  maxRssBytes: number;
  /** RSS once the backend is up and the inputs exist, before the first step. */
  startRssBytes: number;
  /** Kernel name, total ms, calls in the profiled step: the ten most expensive. */
  topKernels: Array<[string, number, number]>;
  /** Checksums, so the two variants can be seen to compute the same thing. */
  ceSum: number;
  hiddenGradNorm: number;
  weightGradNorm: number;
}

/** Seconds per step, one entry per timed round. */
interface StepTimes {
  wall: number[];
  cpu: number[];
}

type TimingResult = Record<Variant, StepTimes>;

function parseSettings(argv: string[]): Settings & { role?: ChildRole } {
  const value = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1]! : fallback;
  };
  const int = (name: string, fallback: number): number => {
    const n = Number(value(name, String(fallback)));
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value(name, '')}`);
    return n;
  };
  const backend = value('backend', 'wasm');
  if (backend !== 'wasm' && backend !== 'cpu') throw new Error(`--backend must be wasm or cpu, got ${backend}`);
  const role = value('role', '');
  return {
    backend,
    vocab: int('vocab', 32768),
    tokens: int('tokens', 2048),
    width: int('width', 256),
    chunk: int('chunk', 4096),
    entropy: argv.includes('--entropy'),
    repeats: int('repeats', 2),
    kernels: argv.includes('--kernels'),
    fusedOnly: argv.includes('--fused-only'),
    role: role === 'fused' || role === 'unfused' || role === 'timing' ? role : undefined,
  };
}

interface Problem {
  hidden: tf.Tensor2D;
  weight: tf.Tensor2D;
  /** One forward + backward, gradients read back; returns [dL/dhidden, dL/dweight]. */
  step(variant: Variant): tf.Tensor[];
  ceSum(variant: Variant): number;
  dispose(): void;
}

/** Seeded inputs and the step of each variant. */
function makeProblem(s: Settings): Problem {
  const hidden = tf.randomNormal([s.tokens, s.width], 0, 1, 'float32', 1) as tf.Tensor2D;
  const weight = tf.randomNormal([s.vocab, s.width], 0, 0.05, 'float32', 2) as tf.Tensor2D;
  const targets = tf.randomUniform([s.tokens], 0, s.vocab, 'int32', 3) as tf.Tensor1D;
  const ceWeight = tf.tidy(() => tf.mul(tf.randomUniform([s.tokens], 0, 1, 'float32', 4), tf.cast(tf.greater(tf.randomUniform([s.tokens], 0, 1, 'float32', 5), 0.1), 'float32')));
  const entropyWeight = tf.tidy(() => tf.mul(ceWeight, -0.1));
  const head = (variant: Variant, h: tf.Tensor2D, w: tf.Tensor2D) =>
    variant === 'fused' ? tokenStats(h, w, targets, { chunkSize: s.chunk, entropy: s.entropy }) : referenceTokenStats(h, w, targets, { entropy: s.entropy });
  const loss = (variant: Variant) => (h: tf.Tensor, w: tf.Tensor): tf.Tensor => {
    const stats = head(variant, h as tf.Tensor2D, w as tf.Tensor2D);
    const ceTerm = tf.sum(tf.mul(stats.ce, ceWeight));
    return stats.entropy === undefined ? ceTerm : tf.add(ceTerm, tf.sum(tf.mul(stats.entropy, entropyWeight)));
  };
  return {
    hidden,
    weight,
    step(variant) {
      const grads = tf.grads(loss(variant))([hidden, weight]);
      for (const g of grads) g.dataSync();
      return grads;
    },
    ceSum: (variant) => tf.tidy(() => tf.sum(head(variant, hidden, weight).ce).dataSync()[0]!),
    dispose: () => tf.dispose([hidden, weight, targets, ceWeight, entropyWeight]),
  };
}

async function measureMemory(variant: Variant, s: Settings): Promise<MemoryResult> {
  await initBackend(s.backend);
  const problem = makeProblem(s);
  const startRssBytes = process.memoryUsage().rss;
  tf.dispose(problem.step(variant)); // warm-up
  const inputTensorBytes = tf.memory().numBytes;
  let grads: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    grads = problem.step(variant);
    return grads;
  });
  const byKernel = new Map<string, [number, number]>();
  for (const k of profile.kernels) {
    const entry = byKernel.get(k.name) ?? [0, 0];
    entry[0] += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    entry[1] += 1;
    byKernel.set(k.name, entry);
  }
  const topKernels = [...byKernel].map(([name, [ms, calls]]) => [name, ms, calls] as [string, number, number])
    .sort((a, b) => b[1] - a[1]).slice(0, 10);
  const norm = (t: tf.Tensor) => tf.tidy(() => tf.norm(t).dataSync()[0]!);
  const result: MemoryResult = {
    variant,
    backend: tf.getBackend(),
    peakTensorBytes: profile.peakBytes,
    inputTensorBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    startRssBytes,
    topKernels,
    ceSum: problem.ceSum(variant),
    hiddenGradNorm: norm(grads[0]!),
    weightGradNorm: norm(grads[1]!),
  };
  tf.dispose(grads);
  problem.dispose();
  return result;
}

async function measureTime(s: Settings): Promise<TimingResult> {
  await initBackend(s.backend);
  const problem = makeProblem(s);
  const result: TimingResult = { fused: { wall: [], cpu: [] }, unfused: { wall: [], cpu: [] } };
  const timed = (variant: Variant) => {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    tf.dispose(problem.step(variant));
    result[variant].wall.push((performance.now() - start) / 1000);
    const cpu = process.cpuUsage(cpuStart);
    result[variant].cpu.push((cpu.user + cpu.system) / 1e6);
  };
  const variants: Variant[] = s.fusedOnly ? ['fused'] : ['fused', 'unfused'];
  for (const variant of variants) tf.dispose(problem.step(variant)); // warm-ups
  for (let round = 0; round < s.repeats; round++) {
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) timed(variant);
  }
  problem.dispose();
  return result;
}

type ChildOutcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Runs this script in a child process; a failure (e.g. the unfused path exhausting wasm's 4 GiB) is reported, not thrown. */
function spawnChild<T>(role: ChildRole, argv: string[]): ChildOutcome<T> {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [...process.execArgv, script, ...argv, '--role', role], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status !== 0 || line === undefined) {
    // The first line that starts with an error name (the Emscripten glue prints minified source too).
    const errorLine = child.stderr.split('\n').map((l) => l.trim()).find((l) => /^\w*Error\b/.test(l))?.slice(0, 200) ?? 'no error message';
    return { ok: false, reason: `exit ${child.status ?? child.signal}: ${errorLine}` };
  }
  return { ok: true, value: JSON.parse(line.slice('RESULT '.length)) as T };
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const seconds = (x: number) => `${x.toFixed(2)} s`;

function report(s: Settings, memory: Record<Variant, ChildOutcome<MemoryResult>>, time: ChildOutcome<TimingResult>): void {
  const backend = memory.fused.ok ? memory.fused.value.backend : s.backend;
  console.log(`loss head forward+backward: vocab ${s.vocab}, tokens ${s.tokens}, width ${s.width}, chunk ${s.chunk}, ` +
    `entropy ${s.entropy}, backend ${backend}, ${s.repeats} alternating timed rounds`);
  const timeOf = (v: Variant): StepTimes | undefined => (time.ok && time.value[v].cpu.length > 0 ? time.value[v] : undefined);
  const memoryOf = (v: Variant): MemoryResult | undefined => (memory[v].ok ? memory[v].value : undefined);
  const rows: Array<[string, (v: Variant) => string | undefined]> = [
    ['CPU time per step, median', (v) => { const t = timeOf(v); return t && seconds(median(t.cpu)); }],
    ['CPU time per step, min', (v) => { const t = timeOf(v); return t && seconds(Math.min(...t.cpu)); }],
    ['wall time per step, median', (v) => { const t = timeOf(v); return t && seconds(median(t.wall)); }],
    ['wall time per step, min', (v) => { const t = timeOf(v); return t && seconds(Math.min(...t.wall)); }],
    ['tf peak tensor bytes', (v) => { const m = memoryOf(v); return m && mib(m.peakTensorBytes); }],
    ['  of which inputs', (v) => { const m = memoryOf(v); return m && mib(m.inputTensorBytes); }],
    ['  peak above inputs', (v) => { const m = memoryOf(v); return m && mib(m.peakTensorBytes - m.inputTensorBytes); }],
    ['process peak RSS', (v) => { const m = memoryOf(v); return m && mib(m.maxRssBytes); }],
    ['  RSS before first step', (v) => { const m = memoryOf(v); return m && mib(m.startRssBytes); }],
    ['Σ ce', (v) => memoryOf(v)?.ceSum.toFixed(3)],
    ['|dL/dhidden|', (v) => memoryOf(v)?.hiddenGradNorm.toPrecision(6)],
    ['|dL/dweight|', (v) => memoryOf(v)?.weightGradNorm.toPrecision(6)],
  ];
  console.log(`${''.padEnd(28)}${'fused'.padStart(12)}${'unfused'.padStart(12)}`);
  for (const [label, cell] of rows) console.log(`${label.padEnd(28)}${(cell('fused') ?? 'failed').padStart(12)}${(cell('unfused') ?? 'failed').padStart(12)}`);
  for (const v of ['fused', 'unfused'] as const) {
    const outcome = memory[v];
    if (!outcome.ok) console.log(`${v} run failed: ${outcome.reason}`);
    else if (s.kernels) {
      console.log(`${v}: kernel ms (calls) in the profiled step: ` + outcome.value.topKernels.map(([n, ms, calls]) => `${n} ${ms.toFixed(0)} (${calls})`).join(', '));
    }
  }
  if (!time.ok) console.log(`timing run failed: ${time.reason}`);
  const fm = memoryOf('fused'), um = memoryOf('unfused'), ft = timeOf('fused'), ut = timeOf('unfused');
  if (fm && um && ft && ut) {
    const extra = (m: MemoryResult) => m.peakTensorBytes - m.inputTensorBytes;
    console.log(`fused/unfused: peak tensor bytes above inputs ${(100 * extra(fm) / extra(um)).toFixed(1)}%, ` +
      `peak RSS ${(100 * fm.maxRssBytes / um.maxRssBytes).toFixed(1)}%, ` +
      `median CPU time ${(median(ft.cpu) / median(ut.cpu)).toFixed(2)}x, ` +
      `median wall time ${(median(ft.wall) / median(ut.wall)).toFixed(2)}x`);
  }
}

const argv = process.argv.slice(2);
const settings = parseSettings(argv);
if (settings.role === 'timing') {
  console.log(`RESULT ${JSON.stringify(await measureTime(settings))}`);
} else if (settings.role !== undefined) {
  console.log(`RESULT ${JSON.stringify(await measureMemory(settings.role, settings))}`);
} else {
  const memory = {
    fused: spawnChild<MemoryResult>('fused', argv),
    unfused: spawnChild<MemoryResult>('unfused', argv),
  };
  const timingArgs = memory.unfused.ok ? argv : [...argv, '--fused-only'];
  report(settings, memory, spawnChild<TimingResult>('timing', timingArgs));
}
