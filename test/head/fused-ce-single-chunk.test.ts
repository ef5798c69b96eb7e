// The fused head's single-chunk path (chunk ≥ V): the forward keeps the [N × V] logits and the
// backward reuses them instead of recomputing h·Wᵀ. Values and gradients against the Float64 loops
// with the tolerances of fused-ce.test.ts, a check that the recompute is really skipped (matMul
// kernels counted by tf.profile, not timed), and that no tensor is left behind.
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import { tokenStats } from '../../src/head/fused-ce.js';
import { assertClose, makeCase, runHead, runPlain, type CaseOptions, type HeadCase } from './cases.js';
import { useBackend } from '../backend/helpers.js';

const RTOL = 1e-5;

const cases: Array<CaseOptions & { chunkSizes: number[] }> = [
  { name: 'plain', tokens: 6, width: 5, vocab: 11, seed: 31, chunkSizes: [11, 12, 8192] },
  { name: 'masked tokens, target -100', tokens: 7, width: 4, vocab: 9, seed: 32, masked: [0, 3], paddingTarget: -100, chunkSizes: [9, 20] },
  { name: 'masked tokens, target = vocab', tokens: 5, width: 3, vocab: 8, seed: 33, masked: [4], paddingTarget: 8, chunkSizes: [8] },
  { name: 'extreme logits ±80', tokens: 6, width: 6, vocab: 13, seed: 34, maxLogit: 80, chunkSizes: [13, 64] },
  { name: 'ties: identical rows', tokens: 4, width: 3, vocab: 10, seed: 35, tiedRows: true, chunkSizes: [10] },
  { name: 'every token has the same target', tokens: 6, width: 3, vocab: 7, seed: 36, sameTarget: 5, chunkSizes: [7] },
  { name: 'one token, one vocabulary entry', tokens: 1, width: 2, vocab: 1, seed: 37, chunkSizes: [1, 4] },
];

function compareWithPlain(c: HeadCase, chunkSize: number, withEntropy: boolean): void {
  const label = `single chunk ${chunkSize}${withEntropy ? '+entropy' : ''}`;
  const got = runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize, entropy: withEntropy }));
  const plain = runPlain(c, withEntropy);
  const logitScale = plain.logits.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
  assert.equal(got.entropy === undefined, !withEntropy, `${label}: entropy present iff asked for`);
  assertClose(got.ce, plain.ce, RTOL, `${label} ce`, logitScale);
  if (withEntropy) assertClose(got.entropy!, plain.entropy, RTOL, `${label} entropy`, logitScale);
  assertClose(got.hiddenGrad, plain.hiddenGrad, RTOL, `${label} dL/dhidden`, plain.hiddenGradTermScale);
  assertClose(got.weightGrad, plain.weightGrad, RTOL, `${label} dL/dweight`, plain.weightGradTermScale);
}

/** Number of matMul kernels run by forward + tf.grads of Σ ce (+ Σ entropy). */
async function matMulsPerStep(c: HeadCase, chunkSize: number, withEntropy: boolean): Promise<number> {
  const info = await tf.profile(() => {
    runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize, entropy: withEntropy }));
  });
  return info.kernels.filter((k) => k.name === 'BatchMatMul').length;
}

describe('head: fused head with a single vocabulary chunk (logits kept for the backward)', () => {
  useBackend('cpu');

  for (const options of cases) {
    for (const chunkSize of options.chunkSizes) {
      it(`${options.name}, chunk ${chunkSize} ≥ vocab ${options.vocab}`, () => {
        const c = makeCase(options);
        for (const withEntropy of [false, true]) compareWithPlain(c, chunkSize, withEntropy);
      });
    }
  }

  it('skips the logits recompute with one chunk and keeps it with two', async () => {
    const c = makeCase({ name: 'count', tokens: 4, width: 3, vocab: 6, seed: 38 });
    for (const withEntropy of [false, true]) {
      // runHead runs the head once alone (1 matMul) and once under tf.grads (forward 1, backward:
      // logits only when recomputed, then dL/dhidden and dWᵀ per chunk).
      assert.equal(await matMulsPerStep(c, 6, withEntropy), 1 + 1 + 2, `one chunk, entropy ${withEntropy}`);
      assert.equal(await matMulsPerStep(c, 3, withEntropy), 2 + 2 + 2 * 3, `two chunks, entropy ${withEntropy}`);
    }
  });

  it('leaves no tensors behind after forward alone and forward + backward', () => {
    const c = makeCase({ name: 'leak', tokens: 5, width: 3, vocab: 10, seed: 39, masked: [0], paddingTarget: -100 });
    for (const withEntropy of [false, true]) {
      for (const chunkSize of [10, 64]) {
        const before = tf.memory().numTensors;
        runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize, entropy: withEntropy }));
        assert.equal(tf.memory().numTensors, before, `chunk ${chunkSize}, entropy ${withEntropy}: forward + backward`);
        const hidden = tf.tensor2d(c.hidden, [c.tokens, c.width]);
        const weight = tf.tensor2d(c.weight, [c.vocab, c.width]);
        const targets = tf.tensor1d(c.targets, 'int32');
        const afterInputs = tf.memory().numTensors;
        const stats = tokenStats(hidden, weight, targets, { chunkSize, entropy: withEntropy });
        tf.dispose([stats.ce, stats.entropy ?? []]);
        assert.equal(tf.memory().numTensors, afterInputs, `chunk ${chunkSize}, entropy ${withEntropy}: forward alone`);
        tf.dispose([hidden, weight, targets]);
        assert.equal(tf.memory().numTensors, before, `chunk ${chunkSize}, entropy ${withEntropy}: inputs freed`);
      }
    }
  });
});
