// Where a training step's time goes: one step of a bench configuration under tf.profile, kernels
// summed by name (wall ms, calls), most expensive first. Not a unit test.
//   npx tsx bench/profile.ts [toy|small] [sft|sftgo] [--backend wasm-blas|wasm|cpu] [--top 25]
//                            [--matmul] [--calls Sum,Exp]   (each call of the named kernels, slowest first)
import * as tf from '@tensorflow/tfjs';
import { CONFIGS, type ModelBenchConfig } from './configs.js';
import { initBackend, isBackendRequest } from '../src/backend/index.js';
import { createModel } from '../src/model/init.js';
import { AdamW } from '../src/train/adamw.js';
import { trainStep } from '../src/train/step.js';
import { OPTIMIZER } from './configs.js';
import { benchModelConfig, loweredBenchObjective } from './measure.js';
import { syntheticData } from './synthetic.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const valued = new Set(['--backend', '--top', '--calls']);
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && valued.has(args[i - 1]!)));
const config = CONFIGS[(positional[0] ?? 'toy') as 'toy' | 'small'] as ModelBenchConfig;
const variant = positional[1] ?? 'sft';
const backend = flag('--backend', 'wasm');
if (!isBackendRequest(backend)) throw new Error(`unknown backend ${backend}`);
const top = Number(flag('--top', '25'));

await initBackend(backend);
const data = syntheticData(config.vocab, config.seq, config.batch, 2);
const model = createModel(benchModelConfig(config), 1);
const objective = loweredBenchObjective(variant, data);
const optimizer = new AdamW(model.params, { betas: OPTIMIZER.betas, eps: OPTIMIZER.eps, weightDecay: OPTIMIZER.weightDecay });
const step = (i: number) =>
  trainStep({ model, objective, optimizer, microBatches: [data.batches[i % 2]!], step: i, totalSteps: 3, lr: OPTIMIZER.lr, clipGrad: OPTIMIZER.clipGrad });
step(0);
const start = performance.now();
const info = await tf.profile(() => {
  step(1);
});
const wall = performance.now() - start;
const byName = new Map<string, { ms: number; calls: number }>();
for (const k of info.kernels) {
  const e = byName.get(k.name) ?? { ms: 0, calls: 0 };
  e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  e.calls++;
  byName.set(k.name, e);
}
const total = [...byName.values()].reduce((s, e) => s + e.ms, 0);
console.log(`${config.name}/${variant} on ${backend}: step ${wall.toFixed(0)} ms under the profiler, kernels ${total.toFixed(0)} ms, peak tensor bytes ${(info.peakBytes / 2 ** 20).toFixed(0)} MiB`);
for (const [name, e] of [...byName].sort((x, y) => y[1].ms - x[1].ms).slice(0, top)) {
  console.log(`${name.padEnd(24)} ${e.ms.toFixed(1).padStart(9)} ms ${(100 * e.ms / total).toFixed(1).padStart(5)}%  ${String(e.calls).padStart(5)} calls`);
}
if (args.includes('--matmul')) {
  // Each matMul call with its shapes and GFLOP/s: shows which products run far below the plain 2-D speed.
  console.log('\nmatMul calls, slowest first (shapes a × b, ms, GFLOP/s):');
  const calls = info.kernels.filter((k) => k.name === 'BatchMatMul' || k.name === '_FusedMatMul');
  for (const k of calls.sort((x, y) => (y.kernelTimeMs as number) - (x.kernelTimeMs as number)).slice(0, top)) {
    const [a, b] = k.inputShapes as number[][];
    const out = k.outputShapes[0] as number[];
    const inner = a![a!.length - 1] === b![b!.length - 2] ? a![a!.length - 1]! : a![a!.length - 2]!;
    const flops = 2 * out.reduce((x, y) => x * y, 1) * inner;
    console.log(`  [${a}] × [${b}] → [${out}]  ${(k.kernelTimeMs as number).toFixed(1)} ms  ${(flops / (k.kernelTimeMs as number) / 1e6).toFixed(1)}`);
  }
}
const callNames = flag('--calls', '').split(',').filter((n) => n !== '');
if (callNames.length > 0) {
  console.log(`\ncalls of ${callNames.join(', ')}, slowest first (input shapes → output shape, ms):`);
  const calls = info.kernels.filter((k) => callNames.includes(k.name));
  for (const k of calls.sort((x, y) => (y.kernelTimeMs as number) - (x.kernelTimeMs as number)).slice(0, top)) {
    const ins = (k.inputShapes as number[][]).map((s) => `[${s}]`).join(' ');
    console.log(`  ${k.name.padEnd(12)} ${ins} → [${k.outputShapes[0] as number[]}]  ${(k.kernelTimeMs as number).toFixed(1)} ms`);
  }
}
