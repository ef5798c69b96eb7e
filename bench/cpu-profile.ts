// Where a training step's CPU time goes, by kernel: every kernel registered for the backend is
// wrapped to add the process's CPU time (user + system) around its call, over several steps.
// CPU time, unlike tf.profile's wall time (bench/profile.ts), barely moves when other processes
// share the cores, so it is the figure to compare changes with on a busy machine. Set
// OPENBLAS_NUM_THREADS=1 with wasm-blas, or the BLAS's second thread counts too. Not a unit test.
//   npx tsx bench/cpu-profile.ts [toy|small] [sft|sftgo] [--backend wasm-blas|wasm|cpu] [--steps 3]
//                                [--top 22] [--calls Sum,Transpose]   (by input shapes and attributes)
import * as tf from '@tensorflow/tfjs';
import { initBackend, isBackendRequest, tfjsBackendName } from '../src/backend/index.js';
import { createModel } from '../src/model/init.js';
import { AdamW } from '../src/train/adamw.js';
import { trainStep } from '../src/train/step.js';
import { CONFIGS, OPTIMIZER, type ModelBenchConfig } from './configs.js';
import { benchModelConfig, loweredBenchObjective } from './measure.js';
import { syntheticData } from './synthetic.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const valued = new Set(['--backend', '--top', '--calls', '--steps']);
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && valued.has(args[i - 1]!)));
const config = CONFIGS[(positional[0] ?? 'toy') as 'toy' | 'small'] as ModelBenchConfig;
const variant = positional[1] ?? 'sft';
const backend = flag('--backend', 'wasm-blas');
if (!isBackendRequest(backend)) throw new Error(`unknown backend ${backend}`);
const steps = Number(flag('--steps', '3'));
const top = Number(flag('--top', '22'));
const detailed = new Set(flag('--calls', '').split(',').filter((n) => n !== ''));

const info = await initBackend(backend);
const byKernel = new Map<string, { us: number; calls: number }>();
const byCall = new Map<string, { us: number; calls: number }>();
const add = (map: typeof byKernel, key: string, us: number): void => {
  const e = map.get(key) ?? { us: 0, calls: 0 };
  e.us += us;
  e.calls++;
  map.set(key, e);
};
const tfjsName = tfjsBackendName(info.name);
for (const kernel of tf.getKernelsForBackend(tfjsName)) {
  const original = kernel.kernelFunc;
  tf.unregisterKernel(kernel.kernelName, tfjsName);
  tf.registerKernel({
    ...kernel,
    kernelFunc: (params) => {
      const start = process.cpuUsage();
      const out = original(params);
      const spent = process.cpuUsage(start);
      const us = spent.user + spent.system;
      add(byKernel, kernel.kernelName, us);
      if (detailed.has(kernel.kernelName)) {
        const shapes = Object.values(params.inputs).map((t) => `[${t!.shape}]`).join(' ');
        add(byCall, `${kernel.kernelName} ${shapes} ${JSON.stringify(params.attrs ?? {}).slice(0, 60)}`, us);
      }
      return out;
    },
  });
}

const data = syntheticData(config.vocab, config.seq, config.batch, 2);
const model = createModel(benchModelConfig(config), 1);
const objective = loweredBenchObjective(variant, data);
const optimizer = new AdamW(model.params, { betas: OPTIMIZER.betas, eps: OPTIMIZER.eps, weightDecay: OPTIMIZER.weightDecay });
const step = (i: number) =>
  trainStep({ model, objective, optimizer, microBatches: [data.batches[i % 2]!], step: i, totalSteps: steps + 1, lr: OPTIMIZER.lr, clipGrad: OPTIMIZER.clipGrad });
step(0);
byKernel.clear();
byCall.clear();
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
for (let i = 1; i <= steps; i++) step(i);
const cpu = process.cpuUsage(cpuStart);
const perStep = (us: number): string => (us / 1000 / steps).toFixed(1).padStart(8);
const inKernels = [...byKernel.values()].reduce((s, e) => s + e.us, 0);
console.log(`${config.name}/${variant} on ${info.name}: CPU ${perStep(cpu.user + cpu.system).trim()} ms/step, ${perStep(inKernels).trim()} in kernels; wall ${((performance.now() - wallStart) / steps).toFixed(1)} ms/step`);
for (const [name, e] of [...byKernel].sort((x, y) => y[1].us - x[1].us).slice(0, top)) {
  console.log(`${name.padEnd(22)} ${perStep(e.us)} ms ${String(Math.round(e.calls / steps)).padStart(5)} calls`);
}
for (const [key, e] of [...byCall].sort((x, y) => y[1].us - x[1].us).slice(0, top)) {
  console.log(`  ${key.padEnd(90)} ${perStep(e.us)} ms ${Math.round(e.calls / steps)}×`);
}
