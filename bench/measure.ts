// What one benchmark child process measures: a configuration × objective trained for a fixed
// number of steps after a warm-up (through the trainer's own step and the compiled objective), or
// the loss head alone; then the backend's plain 2-D matMul speed on the configuration's largest
// product, in the same process, as the yardstick for the achieved FLOP/s.
import * as tf from '@tensorflow/tfjs';
import { initBackend, type BackendRequest } from '../src/backend/index.js';
import { setNativeKernels } from '../src/backend/simd/module.js';
import { setProductPrecision } from '../src/backend/blas/precision.js';
import { compile } from '../src/compile.js';
import { tokenStats } from '../src/head/fused-ce.js';
import { referenceTokenStats } from '../src/head/reference.js';
import { arrayScoreSource } from '../src/lower/score-source.js';
import { lowerObjective } from '../src/lower/step-objective.js';
import { createModel } from '../src/model/init.js';
import { presetConfig } from '../src/model/presets.js';
import type { ModelConfig } from '../src/model/types.js';
import { AdamW } from '../src/train/adamw.js';
import type { StepObjective } from '../src/train/objective.js';
import { trainStep } from '../src/train/step.js';
import { OPTIMIZER, referenceMatMulShape, SFT_SOURCE, SFTGO_SOURCE, type BenchConfig, type HeadBenchConfig, type ModelBenchConfig } from './configs.js';
import { syntheticData } from './synthetic.js';

export interface ChildRequest {
  config: BenchConfig;
  /** 'sft' | 'sftgo' for model configs; 'fused' | 'unfused' for the head. */
  variant: string;
  backend: BackendRequest;
  /** false: the native trunk and head off (setNativeKernels), the tfjs ops on the same backend. */
  nativeKernels?: boolean;
  warmup: number;
  steps: number;
  /** The products' precision (train.precision); default fp32. */
  precision?: 'fp32' | 'bf16';
}

export interface ChildResult {
  backend: string;
  /** Wall milliseconds of each timed step. */
  stepMs: number[];
  /** Process CPU milliseconds (user + system) per timed step, averaged. */
  cpuMsPerStep: number;
  peakRssMb: number;
  /** Plain 2-D matMul on referenceMatMulShape, FLOP/s, measured after the steps. */
  matMulFlops: number;
  /** Loss of the first and last step: a check that training moves and both sides agree on scale. */
  firstLoss: number;
  lastLoss: number;
  /** Tensors alive after the last step minus after the first (0 when nothing leaks). */
  leakedTensors: number;
  notes: string[];
}

export function benchModelConfig(c: ModelBenchConfig): ModelConfig {
  const base = presetConfig(c.name)!;
  return { ...base, vocabSize: c.vocab, hiddenSize: c.width, numLayers: c.layers, numHeads: c.heads, numKvHeads: c.heads, intermediateSize: 4 * c.width };
}

/** The bench's SFT ('sft') or SFT-GO ('sftgo') objective, compiled and lowered, with TF-IDF scores from `data`. */
export function loweredBenchObjective(variant: string, data: ReturnType<typeof syntheticData>): StepObjective {
  const source = variant === 'sftgo' ? SFTGO_SOURCE : SFT_SOURCE;
  const compiled = compile(source, { file: 'bench.sftgo' });
  if (compiled.objective === undefined) throw new Error(`bench objective does not compile: ${compiled.diagnostics.map((d) => d.message).join('; ')}`);
  const probe = lowerObjective(compiled.objective, { scores: arrayScoreSource({}) });
  if (!probe.ok) throw new Error(probe.problems.join('; '));
  const keys = [...probe.objective.needs.scorers.keys()];
  const scores = new Map([...data.tfidf].map(([index, values]) => [index, Object.fromEntries(keys.map((k) => [k, values]))]));
  const result = lowerObjective(compiled.objective, { scores: arrayScoreSource({ scores }) });
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.objective;
}

/** The best of `windows` windows after a warm-up one, as bench/peer.py's matmul_flops (why: there). */
function matMulFlops([m, k, n]: [number, number, number], minSeconds = 0.5, windows = 5): number {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const windowMs = Math.max((minSeconds * 1000) / windows, 50);
  const oneWindow = (): number => {
    let repeats = 0;
    const start = performance.now();
    while (performance.now() - start < windowMs || repeats < 3) {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
      repeats++;
    }
    return (2 * m * k * n * repeats) / ((performance.now() - start) / 1000);
  };
  oneWindow();
  let best = 0;
  for (let w = 0; w < windows; w++) best = Math.max(best, oneWindow());
  tf.dispose([a, b]);
  return best;
}

function peakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
}

interface Timed {
  stepMs: number[];
  cpuMsPerStep: number;
  losses: number[];
  leakedTensors: number;
}

function timeSteps(warmup: number, steps: number, step: (i: number) => number): Timed {
  const losses: number[] = [];
  for (let i = 0; i < warmup; i++) losses.push(step(i));
  const afterWarmup = tf.memory().numTensors;
  const stepMs: number[] = [];
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    losses.push(step(warmup + i));
    stepMs.push(performance.now() - start);
  }
  const cpu = process.cpuUsage(cpuStart);
  return { stepMs, cpuMsPerStep: (cpu.user + cpu.system) / 1000 / Math.max(steps, 1), losses, leakedTensors: tf.memory().numTensors - afterWarmup };
}

function runModel(c: ModelBenchConfig, request: ChildRequest): Timed {
  const data = syntheticData(c.vocab, c.seq, c.batch, 4);
  const model = createModel(benchModelConfig(c), 1);
  const objective = loweredBenchObjective(request.variant, data);
  const optimizer = new AdamW(model.params, { betas: OPTIMIZER.betas, eps: OPTIMIZER.eps, weightDecay: OPTIMIZER.weightDecay });
  const totalSteps = request.warmup + request.steps;
  return timeSteps(request.warmup, request.steps, (i) => {
    const outcome = trainStep({
      model, objective, optimizer, microBatches: [data.batches[i % data.batches.length]!], step: i, totalSteps, lr: OPTIMIZER.lr, clipGrad: OPTIMIZER.clipGrad,
    });
    return outcome.loss;
  });
}

function runHead(c: HeadBenchConfig, request: ChildRequest): Timed {
  const hidden = tf.variable(tf.randomNormal([c.tokens, c.width], 0, 1, 'float32', 1));
  const weight = tf.variable(tf.randomNormal([c.vocab, c.width], 0, 0.02, 'float32', 2));
  const targets = tf.tensor1d(Int32Array.from({ length: c.tokens }, (_, i) => (i * 7919) % c.vocab), 'int32');
  const ce = request.variant === 'fused'
    ? () => tokenStats(hidden as tf.Tensor2D, weight as tf.Tensor2D, targets, { chunkSize: 8192 }).ce
    : () => referenceTokenStats(hidden as tf.Tensor2D, weight as tf.Tensor2D, targets).ce;
  const timed = timeSteps(request.warmup, request.steps, () => {
    const { value, grads } = tf.variableGrads(() => tf.mean(ce()) as tf.Scalar, [hidden, weight]);
    const loss = value.dataSync()[0]!;
    for (const g of Object.values(grads)) g.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  });
  tf.dispose([hidden, weight, targets]);
  return timed;
}

export async function runChild(request: ChildRequest): Promise<ChildResult> {
  const info = await initBackend(request.backend);
  setNativeKernels(request.nativeKernels !== false);
  if (request.precision === 'bf16') {
    const set = await setProductPrecision('bf16');
    if (!set.ok) throw new Error(set.reason);
  }
  const c = request.config;
  const timed = c.kind === 'head' ? runHead(c, request) : runModel(c, request);
  return {
    backend: info.name,
    stepMs: timed.stepMs,
    cpuMsPerStep: timed.cpuMsPerStep,
    peakRssMb: peakRssMb(),
    matMulFlops: matMulFlops(referenceMatMulShape(c)),
    firstLoss: timed.losses[0] ?? NaN,
    lastLoss: timed.losses[timed.losses.length - 1] ?? NaN,
    leakedTensors: timed.leakedTensors,
    notes: info.notes,
  };
}
