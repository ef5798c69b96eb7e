// The bench rows of the torch engine (`run --engine torch`): the generated program (objective.py and
// the runtime of src/engine/torch/python/) trains the bench's model on the bench's synthetic data,
// with the tfjs rows' optimizer settings and the thread split `run` gives it (src/engine/torch/
// thread-split.ts), in its own Python process.
// Step times come from the program's own step events (wall time between updates, after the
// warm-up), so Python's start-up and the final checkpoint are not counted. The loss head alone
// (`head`) is a tfjs kernel comparison and has no torch-engine row.
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../src/analysis/index.js';
import { compile } from '../src/compile.js';
import { programInput } from '../src/engine/torch/export.js';
import { programThreads, torchChildEnv } from '../src/engine/torch/thread-split.js';
import { TRAIN_SCRIPT, writeProgram } from '../src/engine/torch/program.js';
import { ScoreStore } from '../src/groupers/store.js';
import type { RunConfig } from '../src/train/config.js';
import { OPTIMIZER, referenceMatMulShape, SFT_SOURCE, SFTGO_SOURCE, type BenchConfig, type ModelBenchConfig } from './configs.js';
import { benchModelConfig } from './measure.js';
import type { Measured } from './measured.js';
import { syntheticData } from './synthetic.js';

interface StepEvent { event: 'step'; metrics: { loss: number; elapsed_s: number }; cpu_s: number }

export function torchEngineSupports(c: BenchConfig): boolean {
  return c.kind === 'model';
}

export async function runTorchEngine(python: string, c: ModelBenchConfig, variant: string, warmup: number, steps: number, precision: 'fp32' | 'bf16' = 'fp32'): Promise<Measured> {
  const placement = { device: 'cpu' as const, nproc: 1, precision };
  const dir = await mkdtemp(join(tmpdir(), 'sftgoc-bench-torch-'));
  try {
    const compiled = compile(variant === 'sftgo' ? SFTGO_SOURCE : SFT_SOURCE, { file: 'bench.sftgo' });
    const objective = compiled.objective!;
    const emitted = await writeProgram(join(dir, 'program'), objective, analyze(objective), 'bench.sftgo');
    const data = syntheticData(c.vocab, c.seq, c.batch, 4);
    const keys = Object.keys(emitted.staticScorers);
    const store = new ScoreStore(keys, {}, () => [], data.samples);
    for (const key of keys) store.set(key, data.samples, data.samples.map((s) => Float32Array.from(data.tfidf.get(s.index)!)));
    // The bench model, initialised as the tfjs rows' (seed 1), written once as the program's starting point.
    // The plain cpu backend of tfjs, chosen explicitly (tfjs would print its tfjs-node banner otherwise).
    const { initBackend } = await import('../src/backend/index.js');
    await initBackend('cpu');
    const { createModel } = await import('../src/model/init.js');
    const { saveModel } = await import('../src/model/index.js');
    const model = createModel(benchModelConfig(c), 1);
    const modelDir = join(dir, 'init');
    await saveModel(model, modelDir);
    model.dispose();
    const train = {
      epochs: 1, steps: warmup + steps, batch: c.batch, gradAccum: 1, lr: OPTIMIZER.lr, lrSchedule: { kind: 'constant' as const, warmup: 0 },
      weightDecay: OPTIMIZER.weightDecay, eps: OPTIMIZER.eps, betas: OPTIMIZER.betas, clipGrad: OPTIMIZER.clipGrad, seed: 1, evalEvery: 0, saveEvery: 0,
      out: join(dir, 'run'), backend: 'auto', precision,
    };
    const spec = programInput({
      config: { train } as unknown as RunConfig, emitted, train: data.samples, eval: [], store, modelDir,
      modelConfig: { model_type: 'gpt2', vocab_size: c.vocab, n_embd: c.width, n_layer: c.layers, n_head: c.heads, n_inner: 4 * c.width, n_positions: benchModelConfig(c).maxPositions, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new' },
      tokenizerFiles: [], padId: 0, device: 'cpu', threads: programThreads(placement), runDir: join(dir, 'run'), stopFile: join(dir, 'stop'),
    });
    await mkdir(join(dir, 'run'), { recursive: true });
    await writeFile(join(dir, 'input.json'), JSON.stringify(spec));
    // The environment `run --engine torch` gives its program: kernels, BLAS threads, the allocator.
    const { env } = await torchChildEnv(placement);
    const r = spawnSync(python, [join(dir, 'program', TRAIN_SCRIPT), join(dir, 'input.json')], { encoding: 'utf8', maxBuffer: 64 << 20, env });
    if (r.status !== 0) throw new Error(`torch engine ${c.name}/${variant} failed (exit ${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
    const events = r.stdout.split('\n').filter((l) => l.startsWith('@sftgoc ')).map((l) => JSON.parse(l.slice(8)) as { event: string });
    const stepEvents = events.filter((e) => e.event === 'step') as StepEvent[];
    const done = events.find((e) => e.event === 'done') as { max_rss_mb: number } | undefined;
    const stepMs: number[] = [];
    for (let i = warmup; i < stepEvents.length; i++) {
      const before = i === 0 ? 0 : stepEvents[i - 1]!.metrics.elapsed_s;
      stepMs.push((stepEvents[i]!.metrics.elapsed_s - before) * 1000);
    }
    const cpuSpan = stepEvents.length > warmup && warmup > 0 ? stepEvents.at(-1)!.cpu_s - stepEvents[warmup - 1]!.cpu_s : NaN;
    return {
      stepMs,
      cpuMsPerStep: (cpuSpan * 1000) / Math.max(1, steps),
      peakRssMb: done?.max_rss_mb ?? NaN,
      matMulFlops: torchMatMulFlops(python, referenceMatMulShape(c), env),
      firstLoss: stepEvents[0]?.metrics.loss ?? null,
      lastLoss: stepEvents.at(-1)?.metrics.loss ?? null,
      leakedTensors: null,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** torch's plain 2-D matMul FLOP/s on the configuration's reference shape, in the engine's environment. */
function torchMatMulFlops(python: string, [m, k, n]: [number, number, number], env: NodeJS.ProcessEnv): number {
  const script = `import time, torch
a, b = torch.randn(${m}, ${k}), torch.randn(${k}, ${n})
a @ b
r, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < 0.5 or r < 3:
    a @ b; r += 1
print(2 * ${m} * ${k} * ${n} * r / (time.perf_counter() - t0))`;
  const r = spawnSync(python, ['-c', script], { encoding: 'utf8', env });
  return r.status === 0 ? Number(r.stdout.trim()) : NaN;
}

