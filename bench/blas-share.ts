// How much of a wasm-blas training step is matrix products: the step's wall time (median) beside
// the time spent inside cblas_sgemm (every call timed through a wrapper around the bound BLAS), by
// product shape, and the same for the native trunk alone (forward + backward through the tape).
// Not a unit test. The wrapper's own cost is ~1 µs a call (~400 calls a toy step).
//   npx tsx bench/blas-share.ts [toy|small] [sft|sftgo] [--steps 15] [--top 12]
import * as tf from '@tensorflow/tfjs';
import { activeBlas, setActiveBlas } from '../src/backend/blas/matmul.js';
import { initBackend } from '../src/backend/index.js';
import { createModel } from '../src/model/init.js';
import { AdamW } from '../src/train/adamw.js';
import { batchTensors, disposeBatchTensors } from '../src/train/collate.js';
import { trainStep } from '../src/train/step.js';
import { CONFIGS, OPTIMIZER, type ModelBenchConfig } from './configs.js';
import { benchModelConfig, loweredBenchObjective } from './measure.js';
import { syntheticData } from './synthetic.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1]!.startsWith('--')));
const config = CONFIGS[(positional[0] ?? 'toy') as 'toy' | 'small'] as ModelBenchConfig;
const variant = positional[1] ?? 'sft';
const steps = flag('--steps', 15);
const top = flag('--top', 12);

await initBackend('wasm-blas');
const blas = activeBlas();
if (blas === undefined) throw new Error('wasm-blas did not bind a BLAS');
let inside = 0;
const byShape = new Map<string, { ms: number; calls: number }>();
setActiveBlas({
  ...blas,
  sgemm: (...a) => {
    const t = performance.now();
    blas.sgemm(...a);
    const dt = performance.now() - t;
    inside += dt;
    const key = `${a[0] ? 'T' : 'N'}${a[1] ? 'T' : 'N'} ${a[2]}×${a[3]}×${a[4]}`;
    const e = byShape.get(key) ?? { ms: 0, calls: 0 };
    e.ms += dt;
    e.calls++;
    byShape.set(key, e);
  },
});

/** Median wall ms of `f` over `steps` calls after 3 warm-up calls, and the mean BLAS ms per call. */
function measure(f: (i: number) => void): { wall: number; blas: number } {
  for (let i = 0; i < 3; i++) f(i);
  inside = 0;
  byShape.clear();
  const walls: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    f(i);
    walls.push(performance.now() - t);
  }
  walls.sort((a, b) => a - b);
  return { wall: walls[walls.length >> 1]!, blas: inside / steps };
}

const data = syntheticData(config.vocab, config.seq, config.batch, 2);
const model = createModel(benchModelConfig(config), 1);
const objective = loweredBenchObjective(variant, data);
const optimizer = new AdamW(model.params, { betas: OPTIMIZER.betas, eps: OPTIMIZER.eps, weightDecay: OPTIMIZER.weightDecay });
const step = measure((i) => {
  trainStep({ model, objective, optimizer, microBatches: [data.batches[i % 2]!], step: i, totalSteps: steps + 3, lr: OPTIMIZER.lr, clipGrad: OPTIMIZER.clipGrad });
});
console.log(`${config.name}/${variant} on wasm-blas (${blas.description}): step ${step.wall.toFixed(1)} ms (median of ${steps}), in cblas_sgemm ${step.blas.toFixed(1)} ms (${(100 * step.blas / step.wall).toFixed(0)}%)`);
for (const [shape, e] of [...byShape].sort((x, y) => y[1].ms - x[1].ms).slice(0, top)) {
  console.log(`  ${shape.padEnd(20)} ${(e.ms / steps).toFixed(2).padStart(7)} ms a step, ${e.calls / steps} call${e.calls === steps ? '' : 's'}`);
}
const batch = batchTensors(data.batches[0]!);
const r = tf.randomNormal([config.batch, config.seq, config.width]);
const vars = [...model.params.values()];
const trunk = measure(() => {
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.hidden(batch.inputIds), r)), vars);
  tf.dispose([value, ...Object.values(grads)]);
});
console.log(`native trunk forward + backward: ${trunk.wall.toFixed(1)} ms, in cblas_sgemm ${trunk.blas.toFixed(1)} ms`);
disposeBatchTensors(batch);
r.dispose();
