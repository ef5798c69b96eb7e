import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { ADAMW_KERNEL, cpuAdamWConfig } from '../../src/backend/kernels/adamw.js';
import { AdamW, decays } from '../../src/train/adamw.js';
import { noteWhenBlasMissing, useBackend, WASM_BACKENDS } from '../backend/helpers.js';

// torch.optim.AdamW written as straight loops over plain arrays.
function referenceAdamW(
  p: number[], grads: number[][], lrs: number[], o: { b1: number; b2: number; eps: number; wd: number; gradScale: number },
): number[] {
  const w = [...p];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i]! * o.gradScale;
      w[i] = w[i]! - lrs[s]! * o.wd * w[i]!;
      m[i] = o.b1 * m[i]! + (1 - o.b1) * gi;
      v[i] = o.b2 * v[i]! + (1 - o.b2) * gi * gi;
      const mh = m[i]! / (1 - o.b1 ** t);
      const vh = v[i]! / (1 - o.b2 ** t);
      w[i] = w[i]! - (lrs[s]! * mh) / (Math.sqrt(vh) + o.eps);
    }
  });
  return w;
}

const settings = { betas: [0.8, 0.95] as [number, number], eps: 1e-6, weightDecay: 0.1 };
const gradsSeq = [
  [0.5, -1, 2, 0.01, 3, -0.2],
  [-0.3, 0.7, 0, 1e-4, 2, 0.5],
  [1, 1, -1, -3, 0.2, 0.1],
];
const lrs = [0.1, 0.05, 0.02];
const start = [1, -2, 0.5, 0.25, -0.75, 3];

/**
 * Three updates of one parameter against the loops; how many ran in place, through the fused kernel
 * (counted as its calls) and as ops. `copies` repeats the 6 values (so the SIMD kernel runs whole
 * vectors and a tail); gradScale is clipping's. `share` keeps a reshape of the parameter alive
 * (sharing its buffer), which must keep the values it was made with.
 */
async function checkAgainstLoops(rank: number, gradScale = 1, copies = 1, share = false): Promise<{ inPlace: number; fused: number; ops: number }> {
  const shape = rank === 2 ? [2 * copies, 3] : [6 * copies];
  const tile = (xs: number[]): number[] => Array.from({ length: copies }, (_, c) => xs.map((x) => x * (1 + c / 7))).flat();
  const first = tile(start);
  const gradsList = gradsSeq.map(tile);
  // tf.variable shares its initial tensor's buffer: disposed, the variable owns it alone.
  const initial = tf.tensor(first, shape);
  const p = tf.variable(initial);
  initial.dispose();
  const sharer = share ? tf.reshape(p, [-1]) : undefined;
  const opt = new AdamW(new Map([['p', p]]), settings);
  const used = { inPlace: 0, fused: 0, ops: 0 };
  for (let s = 0; s < 3; s++) {
    const g = tf.tensor(gradsList[s]!, shape);
    const info = await tf.profile(() => opt.apply(new Map([['p', g]]), lrs[s]!, gradScale));
    used.fused += info.kernels.filter((k) => k.name === ADAMW_KERNEL).length;
    used.inPlace += opt.lastUpdate.inPlace;
    used.ops += opt.lastUpdate.ops;
    assert.equal(opt.lastUpdate.fused, info.kernels.filter((k) => k.name === ADAMW_KERNEL).length);
    g.dispose();
  }
  if (sharer !== undefined) {
    assert.deepEqual(Array.from(sharer.dataSync()), Array.from(Float32Array.from(first)), 'the reshape sharing the initial buffer kept its values');
    sharer.dispose();
  }
  const expected = referenceAdamW(first, gradsList, lrs, { b1: 0.8, b2: 0.95, eps: 1e-6, wd: rank === 2 ? 0.1 : 0, gradScale });
  const got = Array.from(p.dataSync());
  got.forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) < 1e-5, `element ${i}: ${x} vs ${expected[i]}`));
  assert.equal(opt.stepCount, 3);
  opt.dispose();
  p.dispose();
  return used;
}

for (const backend of ['cpu', ...WASM_BACKENDS] as const) {
  describe(`AdamW as one kernel per parameter on ${backend}`, () => {
    useBackend(backend);
    if (backend === 'wasm') noteWhenBlasMissing();

    // On wasm the update is written over the parameter and its moments; on cpu it is one kernel.
    const expected = backend === 'cpu' ? { inPlace: 0, fused: 3, ops: 0 } : { inPlace: 3, fused: 0, ops: 0 };
    const path = backend === 'cpu' ? 'through the fused kernel' : 'in place';
    for (const rank of [2, 1]) {
      it(`matches the plain-loop reference after 3 steps, rank ${rank} (${rank === 2 ? 'decayed' : 'not decayed'}), ${path}`, async () => {
        assert.deepEqual(await checkAgainstLoops(rank), expected);
      });
    }
    it(`with a clipping scale of 0.37 over 7 copies of the values (whole vectors and a tail), ${path}`, async () => {
      assert.deepEqual(await checkAgainstLoops(2, 0.37, 7), expected);
    });
    it('a product after an update multiplies the updated values (XNNPACK keeps the operands of its own products packed)', () => {
      // On pure wasm the product goes through XNNPACK, which keeps p packed: the update must then
      // give p a new buffer (through the fused kernel), or the second product reads the old values.
      // On wasm-blas the product is cblas_sgemm, which keeps nothing: the update is in place.
      const initial = tf.tensor(start.map((x) => x * 0.5).concat(start), [4, 3]);
      const p = tf.variable(initial);
      initial.dispose();
      const x = tf.tensor([[1, -2, 0.5, 3], [0.25, 1, -1, 2]]);
      const opt = new AdamW(new Map([['p', p]]), settings);
      tf.tidy(() => tf.matMul(x, p).dataSync());
      const g = tf.tensor(gradsSeq[0]!.concat(gradsSeq[1]!), [4, 3]);
      opt.apply(new Map([['p', g]]), 0.1);
      assert.deepEqual(opt.lastUpdate, backend === 'wasm' ? { inPlace: 0, fused: 1, ops: 0 } : backend === 'cpu' ? { inPlace: 0, fused: 1, ops: 0 } : { inPlace: 1, fused: 0, ops: 0 });
      const got = tf.tidy(() => Array.from(tf.matMul(x, p).dataSync()));
      const [xs, ps] = [x.arraySync() as number[][], p.arraySync() as number[][]];
      const want = xs.flatMap((row) => [0, 1, 2].map((j) => row.reduce((sum, xi, i) => sum + xi * ps[i]![j]!, 0)));
      got.forEach((value, i) => assert.ok(Math.abs(value - want[i]!) < 1e-5, `element ${i}: ${value} vs ${want[i]} (the old weights?)`));
      tf.dispose([x, g, p]);
      opt.dispose();
    });
    it('a parameter whose buffer a reshape shares is updated through new tensors, the reshape keeping its values', async () => {
      // The first update cannot be in place (the reshape shares the buffer); it gives p a buffer of
      // its own, so on wasm the next two are.
      const shared = await checkAgainstLoops(2, 1, 7, true);
      assert.deepEqual(shared, backend === 'cpu' ? { inPlace: 0, fused: 3, ops: 0 } : { inPlace: 2, fused: 1, ops: 0 });
    });
  });
}

describe('AdamW', () => {
  before(async () => {
    await initBackend('cpu');
    // The tfjs-op path (other backends, and the fused kernel's reference): without the kernel.
    tf.unregisterKernel(ADAMW_KERNEL, 'cpu');
  });
  after(() => {
    tf.registerKernel(cpuAdamWConfig);
  });

  for (const rank of [2, 1]) {
    it(`as tfjs ops: matches the plain-loop reference after 3 steps, rank ${rank}`, async () => {
      assert.deepEqual(await checkAgainstLoops(rank), { inPlace: 0, fused: 0, ops: 3 });
    });
  }

  it('decays matrices and embeddings but not biases or norm weights', () => {
    const [m, b] = [tf.zeros([3, 2]), tf.zeros([3])];
    assert.equal(decays(m), true);
    assert.equal(decays(b), false);
    tf.dispose([m, b]);
  });

  it('skips parameters without a gradient and round-trips its moments', async () => {
    const a = tf.variable(tf.tensor([1, 2], [1, 2]));
    const b = tf.variable(tf.tensor([3]));
    const opt = new AdamW(new Map([['a', a], ['b', b]]), settings);
    const g = tf.tensor([0.5, -0.5], [1, 2]);
    opt.apply(new Map([['a', g]]), 0.1);
    assert.deepEqual(Array.from(b.dataSync()), [3]);
    const moments = await opt.exportMoments();
    assert.deepEqual([...moments.keys()].sort(), ['exp_avg.a', 'exp_avg.b', 'exp_avg_sq.a', 'exp_avg_sq.b']);
    const other = new AdamW(new Map([['a', a], ['b', b]]), settings);
    assert.deepEqual(other.importMoments(moments, 1), []);
    assert.equal(other.stepCount, 1);
    // Equal moments and step: the next update is the same from either optimizer.
    const snapshot = tf.clone(a);
    opt.apply(new Map([['a', g]]), 0.1);
    const viaFirst = Array.from(a.dataSync());
    a.assign(snapshot);
    other.apply(new Map([['a', g]]), 0.1);
    assert.deepEqual(Array.from(a.dataSync()), viaFirst);
    assert.match(other.importMoments(new Map(), 0).join(), /missing 'exp_avg.a'/);
    tf.dispose([g, snapshot]);
    opt.dispose();
    other.dispose();
  });
});
