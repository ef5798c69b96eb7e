// Peak memory and wall time of one forward + backward of the loss head: fused (src/head/fused-ce.ts)
// against the unfused reference (src/head/reference.ts). Not a unit test.
//
//   npx tsx bench/head-memory.ts [--backend wasm|cpu] [--vocab 32768] [--tokens 2048] [--width 256]
//                                [--chunk 4096] [--entropy] [--repeats 2] [--kernels]
//
// Each variant runs in its own child process so that its peak RSS (getrusage maxrss) is its own.
// Per variant: one warm-up step, `repeats` timed steps (min and median reported), then one step under
// tf.profile for the peak of tfjs-tracked tensor bytes. A step is tf.grads of Σ g·ce (+ Σ g'·entropy)
// in hidden and weight, with ~10% of the upstream weights zero (masked tokens), read back to the host.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/backend/index.js';
import { tokenStats } from '../src/head/fused-ce.js';
import { referenceTokenStats } from '../src/head/reference.js';

type Variant = 'fused' | 'unfused';

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
}

interface VariantResult {
  variant: Variant;
  backend: string;
  medianSeconds: number;
  minSeconds: number;
  /** Peak of tfjs-tracked tensor bytes during the profiled step, inputs included. */
  peakTensorBytes: number;
  /** Tensor bytes held before the step: the inputs. */
  inputTensorBytes: number;
  /** Peak resident set of the whole child process. */
  maxRssBytes: number;
  /** RSS once the backend is up and the inputs exist, before the first step. */
  startRssBytes: number;
  /** Kernel name → [total ms, calls] in the profiled step, the ten most expensive. */
  topKernels: Array<[string, number, number]>;
  /** Checksums, so the two variants can be seen to compute the same thing. */
  ceSum: number;
  hiddenGradNorm: number;
  weightGradNorm: number;
}

function parseSettings(argv: string[]): Settings & { variant?: Variant } {
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
  const variant = value('variant', '');
  return {
    backend,
    vocab: int('vocab', 32768),
    tokens: int('tokens', 2048),
    width: int('width', 256),
    chunk: int('chunk', 4096),
    entropy: argv.includes('--entropy'),
    kernels: argv.includes('--kernels'),
    repeats: int('repeats', 2),
    variant: variant === 'fused' || variant === 'unfused' ? variant : undefined,
  };
}

async function runVariant(variant: Variant, s: Settings): Promise<VariantResult> {
  await initBackend(s.backend);
  const hidden = tf.randomNormal([s.tokens, s.width], 0, 1, 'float32', 1) as tf.Tensor2D;
  const weight = tf.randomNormal([s.vocab, s.width], 0, 0.05, 'float32', 2) as tf.Tensor2D;
  const targets = tf.randomUniform([s.tokens], 0, s.vocab, 'int32', 3) as tf.Tensor1D;
  const ceWeight = tf.tidy(() => tf.mul(tf.randomUniform([s.tokens], 0, 1, 'float32', 4), tf.cast(tf.greater(tf.randomUniform([s.tokens], 0, 1, 'float32', 5), 0.1), 'float32')));
  const entropyWeight = tf.tidy(() => tf.mul(ceWeight, -0.1));
  const head = (h: tf.Tensor2D, w: tf.Tensor2D) =>
    variant === 'fused' ? tokenStats(h, w, targets, { chunkSize: s.chunk, entropy: s.entropy }) : referenceTokenStats(h, w, targets, { entropy: s.entropy });
  const loss = (h: tf.Tensor, w: tf.Tensor): tf.Tensor => {
    const stats = head(h as tf.Tensor2D, w as tf.Tensor2D);
    const ceTerm = tf.sum(tf.mul(stats.ce, ceWeight));
    return stats.entropy === undefined ? ceTerm : tf.add(ceTerm, tf.sum(tf.mul(stats.entropy, entropyWeight)));
  };
  const step = (): tf.Tensor[] => {
    const grads = tf.grads(loss)([hidden, weight]);
    for (const g of grads) g.dataSync();
    return grads;
  };
  const startRssBytes = process.memoryUsage().rss;
  tf.dispose(step()); // warm-up
  const times: number[] = [];
  for (let i = 0; i < s.repeats; i++) {
    const start = performance.now();
    tf.dispose(step());
    times.push((performance.now() - start) / 1000);
  }
  const inputTensorBytes = tf.memory().numBytes;
  let grads: tf.Tensor[] = [];
  const profile = await tf.profile(() => {
    grads = step();
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
  const ceSum = tf.tidy(() => tf.sum(head(hidden, weight).ce).dataSync()[0]!);
  const norm = (t: tf.Tensor) => tf.tidy(() => tf.norm(t).dataSync()[0]!);
  const result: VariantResult = {
    variant,
    backend: tf.getBackend(),
    medianSeconds: [...times].sort((a, b) => a - b)[Math.floor((times.length - 1) / 2)]!,
    minSeconds: Math.min(...times),
    peakTensorBytes: profile.peakBytes,
    inputTensorBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    startRssBytes,
    topKernels,
    ceSum,
    hiddenGradNorm: norm(grads[0]!),
    weightGradNorm: norm(grads[1]!),
  };
  tf.dispose([...grads, hidden, weight, targets, ceWeight, entropyWeight]);
  return result;
}

function spawnVariant(variant: Variant, argv: string[]): VariantResult {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, [...process.execArgv, script, ...argv, '--variant', variant], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (child.status !== 0 || line === undefined) {
    throw new Error(`${variant} run failed (exit ${child.status ?? child.signal}):\n${child.stderr.slice(-2000)}`);
  }
  return JSON.parse(line.slice('RESULT '.length)) as VariantResult;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function report(s: Settings, fused: VariantResult, unfused: VariantResult): void {
  console.log(`loss head forward+backward: vocab ${s.vocab}, tokens ${s.tokens}, width ${s.width}, chunk ${s.chunk}, entropy ${s.entropy}, backend ${fused.backend}, ${s.repeats} timed repeats`);
  const rows: Array<[string, (r: VariantResult) => string]> = [
    ['wall time, median', (r) => `${r.medianSeconds.toFixed(2)} s`],
    ['wall time, min', (r) => `${r.minSeconds.toFixed(2)} s`],
    ['tf peak tensor bytes', (r) => mib(r.peakTensorBytes)],
    ['  of which inputs', (r) => mib(r.inputTensorBytes)],
    ['  peak above inputs', (r) => mib(r.peakTensorBytes - r.inputTensorBytes)],
    ['process peak RSS', (r) => mib(r.maxRssBytes)],
    ['  RSS before first step', (r) => mib(r.startRssBytes)],
    ['Σ ce', (r) => r.ceSum.toFixed(3)],
    ['|dL/dhidden|', (r) => r.hiddenGradNorm.toPrecision(6)],
    ['|dL/dweight|', (r) => r.weightGradNorm.toPrecision(6)],
  ];
  console.log(`${''.padEnd(26)}${'fused'.padStart(12)}${'unfused'.padStart(12)}`);
  for (const [label, cell] of rows) console.log(`${label.padEnd(26)}${cell(fused).padStart(12)}${cell(unfused).padStart(12)}`);
  if (s.kernels) {
    for (const r of [fused, unfused]) {
      console.log(`${r.variant}: kernel time in the profiled step (ms, calls): ` + r.topKernels.map(([n, ms, calls]) => `${n} ${ms.toFixed(0)} (${calls})`).join(', '));
    }
  }
  const extra = (r: VariantResult) => r.peakTensorBytes - r.inputTensorBytes;
  console.log(`fused/unfused: peak tensor bytes above inputs ${(100 * extra(fused) / extra(unfused)).toFixed(1)}%, ` +
    `peak RSS ${(100 * fused.maxRssBytes / unfused.maxRssBytes).toFixed(1)}%, median time ${(fused.medianSeconds / unfused.medianSeconds).toFixed(2)}x`);
}

const argv = process.argv.slice(2);
const settings = parseSettings(argv);
if (settings.variant !== undefined) {
  const result = await runVariant(settings.variant, settings);
  console.log(`RESULT ${JSON.stringify(result)}`);
} else {
  const fused = spawnVariant('fused', argv);
  const unfused = spawnVariant('unfused', argv);
  report(settings, fused, unfused);
}
