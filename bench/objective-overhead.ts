// What the compiled objective itself costs on top of the step: SFT-GO against SFT on the bench's
// batch shapes (toy: 8 × 64, small: 8 × 128 tokens) with a stand-in model whose forward is one
// parameter of hidden states and whose head is a 32-entry vocabulary, so that the difference
// between the two objectives is not buried under the model's own ~0.5 s of products. Steps of the
// two objectives alternate (both share whatever else the machine runs); it prints the median and
// minimum CPU time per step of each, their difference, and the kernels of one step of each.
// Not a unit test (test/lower/objective-kernels.test.ts bounds the kernel count).
//   npx tsx bench/objective-overhead.ts [toy|small] [--backend wasm-blas|wasm|cpu] [--steps 200]
//                                       [--cached]   (reuse 4 batches, as the bench does; default: a
//                                                     fresh Batch each step, as an epoch of training)
//                                       [--kernels]  (the kernels, by name and input shapes, that one
//                                                     SFT-GO step runs more or fewer times than SFT)
//                                       [--model]    (the configuration's real model and vocabulary
//                                                     instead of the stand-in: the whole step's ratio;
//                                                     use OPENBLAS_NUM_THREADS=1 with wasm-blas, or
//                                                     the BLAS threads' spinning counts as CPU time)
import * as tf from '@tensorflow/tfjs';
import { collate } from '../src/data/batch.js';
import { initBackend, isBackendRequest } from '../src/backend/index.js';
import type { CausalLM } from '../src/model/types.js';
import { AdamW } from '../src/train/adamw.js';
import { trainStep } from '../src/train/step.js';
import { CONFIGS, OPTIMIZER, type ModelBenchConfig } from './configs.js';
import { createModel } from '../src/model/init.js';
import { benchModelConfig, loweredBenchObjective } from './measure.js';
import { syntheticData } from './synthetic.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
};
const valued = new Set(['--backend', '--steps']);
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && valued.has(args[i - 1]!)));
const config = CONFIGS[(positional[0] ?? 'toy') as 'toy' | 'small'] as ModelBenchConfig;
const backend = flag('--backend', 'wasm-blas');
if (!isBackendRequest(backend)) throw new Error(`unknown backend ${backend}`);
const steps = Number(flag('--steps', '200'));
const cached = args.includes('--cached');
const realModel = args.includes('--model');

const VOCAB = 32;
const WIDTH = 8;

/** hidden() is one [batch, seq, WIDTH] parameter; the output embedding another. */
function standIn(batch: number, seq: number): CausalLM {
  const h = tf.variable(tf.randomNormal([batch, seq, WIDTH], 0, 1, 'float32', 1), true);
  const w = tf.variable(tf.randomNormal([VOCAB, WIDTH], 0, 0.5, 'float32', 2), true);
  return {
    config: undefined as never,
    params: new Map([['h', h], ['w', w]]),
    hidden: () => h as unknown as tf.Tensor3D,
    outputEmbedding: () => w as unknown as tf.Tensor2D,
    logits: () => { throw new Error('not used'); },
    dispose: () => tf.dispose([h, w]),
  };
}

const info = await initBackend(backend);
const data = syntheticData(realModel ? config.vocab : VOCAB, config.seq, config.batch, 4);
const runs = ['sft', 'sftgo'].map((variant) => {
  const model = realModel ? createModel(benchModelConfig(config), 1) : standIn(config.batch, config.seq);
  const optimizer = new AdamW(model.params, { betas: OPTIMIZER.betas, eps: OPTIMIZER.eps, weightDecay: OPTIMIZER.weightDecay });
  return { variant, model, optimizer, objective: loweredBenchObjective(variant, data), cpuUs: [] as number[], wallUs: [] as number[] };
});
const batchAt = (i: number) => {
  const b = data.batches[i % data.batches.length]!;
  return cached ? b : collate(b.samples, 0);
};
const step = (r: (typeof runs)[number], i: number) =>
  trainStep({ model: r.model, objective: r.objective, optimizer: r.optimizer, microBatches: [batchAt(i)], step: i, totalSteps: steps + 8, lr: OPTIMIZER.lr, clipGrad: OPTIMIZER.clipGrad });

for (let i = 0; i < 8; i++) for (const r of runs) step(r, i);
for (let i = 8; i < steps + 8; i++) {
  // Alternate which objective goes first, so that neither always inherits the other's garbage.
  for (const r of i % 2 === 0 ? runs : [...runs].reverse()) {
    const start = process.cpuUsage();
    const wall = performance.now();
    step(r, i);
    r.wallUs.push(1000 * (performance.now() - wall));
    const spent = process.cpuUsage(start);
    r.cpuUs.push(spent.user + spent.system);
  }
}
const kernels: number[] = [];
const byShape: Map<string, number>[] = [];
for (const r of runs) {
  const profile = await tf.profile(() => { step(r, steps + 8); });
  kernels.push(profile.kernels.length);
  const counts = new Map<string, number>();
  for (const k of profile.kernels) {
    const key = `${k.name} ${(k.inputShapes as number[][]).map((s) => `[${s}]`).join(' ')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  byShape.push(counts);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (us: number) => (us / 1000).toFixed(3);
const [sft, sftgo] = runs;
console.log(`${config.name} shapes (${config.batch} × ${config.seq}), ${realModel ? 'its model' : 'stand-in model'}, ${info.name}, ${cached ? 'cached batches' : 'a fresh batch each step'}, ${steps} steps each`);
for (const [i, r] of runs.entries()) console.log(`${r.variant.padEnd(6)} CPU ms/step median ${ms(median(r.cpuUs))}, min ${ms(Math.min(...r.cpuUs))}; wall median ${ms(median(r.wallUs))}, min ${ms(Math.min(...r.wallUs))}; ${kernels[i]} kernels a step`);
console.log(`SFT-GO extra: median ${ms(median(sftgo!.cpuUs) - median(sft!.cpuUs))} ms, min ${ms(Math.min(...sftgo!.cpuUs) - Math.min(...sft!.cpuUs))} ms, ${kernels[1]! - kernels[0]!} kernels${realModel ? `; SFT-GO/SFT: median ${(median(sftgo!.cpuUs) / median(sft!.cpuUs)).toFixed(3)}, min ${(Math.min(...sftgo!.cpuUs) / Math.min(...sft!.cpuUs)).toFixed(3)}` : ''}`);
if (args.includes('--kernels')) {
  for (const key of [...new Set([...byShape[0]!.keys(), ...byShape[1]!.keys()])].sort()) {
    const d = (byShape[1]!.get(key) ?? 0) - (byShape[0]!.get(key) ?? 0);
    if (d !== 0) console.log(`  ${d > 0 ? '+' : ''}${d} ${key}`);
  }
}
