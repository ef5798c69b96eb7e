// Whole training steps on wasm-blas with the native trunk and head (src/model/native/,
// src/head/native-ce.ts) against the same steps through tfjs ops on the same backend: the plain
// meanCe objective and the compiled SFT / SFT-GO objectives, every gradient of one batch, and the
// losses of three updates (the later ones on weights the earlier changed). Catches what the op-level tests
// cannot: intermediates a tidy frees before the backward, workspaces reused across steps.
// Everything runs on wasm-blas; setNativeKernels(false) gives the tfjs-op reference.
import * as tf from '@tensorflow/tfjs';
import { CONFIGS, OPTIMIZER, type ModelBenchConfig } from '../../bench/configs.js';
import { benchModelConfig, loweredBenchObjective } from '../../bench/measure.js';
import { syntheticData } from '../../bench/synthetic.js';
import { setNativeKernels } from '../../src/backend/simd/module.js';
import { createModel } from '../../src/model/init.js';
import { AdamW } from '../../src/train/adamw.js';
import { meanCe, type StepObjective } from '../../src/train/objective.js';
import { trainStep } from '../../src/train/step.js';
import { batchTensors, disposeBatchTensors } from '../../src/train/collate.js';
import { assertClose, BLAS, noteWhenBlasMissing, useBackend } from '../backend/helpers.js';

const small: ModelBenchConfig = { ...(CONFIGS.toy as ModelBenchConfig), vocab: 96, width: 32, layers: 2, heads: 4, seq: 12, batch: 3 };

const context = { step: 0, totalSteps: 2, training: true, microBatch: 0, microBatches: 1 };

/** The loss's gradient for every weight on one batch, and the losses of three updates. */
function run(objective: (data: ReturnType<typeof syntheticData>) => StepObjective, native: boolean): { grads: Map<string, Float32Array>; losses: number[] } {
  setNativeKernels(native);
  try {
    const data = syntheticData(small.vocab, small.seq, small.batch, 2);
    const model = createModel(benchModelConfig(small), 5);
    const obj = objective(data);
    const tensors = batchTensors(data.batches[0]!);
    const { value, grads } = tf.variableGrads(() => obj.computeLoss(model, tensors, context).loss);
    const named = new Map([...model.params].map(([n, v]) => [n, Float32Array.from(grads[v.name]!.dataSync())]));
    tf.dispose([value, ...Object.values(grads)]);
    disposeBatchTensors(tensors);
    const optimizer = new AdamW(model.params, { betas: OPTIMIZER.betas, eps: OPTIMIZER.eps, weightDecay: OPTIMIZER.weightDecay });
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      // Two micro-batches in the last update: gradient accumulation through the native ops.
      const micro = i < 2 ? [data.batches[i]!] : [data.batches[1]!, data.batches[0]!];
      losses.push(trainStep({ model, objective: obj, optimizer, microBatches: micro, step: i, totalSteps: 3, lr: 1e-3, clipGrad: OPTIMIZER.clipGrad }).loss);
    }
    optimizer.dispose();
    model.dispose();
    return { grads: named, losses };
  } finally {
    setNativeKernels(true);
  }
}

describe('train: steps on wasm-blas, native trunk and head against the tfjs ops', () => {
  noteWhenBlasMissing();
  if (!BLAS.ok) return;
  useBackend('wasm-blas');

  const objectives: [string, (data: ReturnType<typeof syntheticData>) => StepObjective][] = [
    ['meanCe', () => meanCe],
    ['compiled SFT', (data) => loweredBenchObjective('sft', data)],
    ['compiled SFT-GO (TF-IDF top 30%, λ = 0.9)', (data) => loweredBenchObjective('sftgo', data)],
  ];
  for (const [name, objective] of objectives) {
    it(`${name}: every gradient, and the losses of three updates`, () => {
      const ref = run(objective, false);
      const got = run(objective, true);
      for (const [n, g] of ref.grads) assertClose(got.grads.get(n)!, g, { abs: 2e-6, rel: 1e-3 }, `d ${n}`);
      // Adam moves every weight by about lr on its first steps whatever the gradient's size, so the
      // weights are not compared element by element; the losses after the updates are.
      assertClose(got.losses, ref.losses, { abs: 1e-5, rel: 1e-4 }, 'losses over three updates');
    });
  }
});
