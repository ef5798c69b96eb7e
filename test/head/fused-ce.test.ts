// The fused head against the unfused reference and against Float64 straight loops: values of ce and
// entropy, and gradients in hidden and weight of a randomly weighted sum (zero weights = masked).
//
// Tolerance (float32 against Float64): |diff| ≤ 1e-5·(|expected| + scale), where scale is the
// largest |expected| in the vector or, if larger, the size of what was summed: for ce/entropy the
// largest |logit| (float32 rounding of the logits, not the size of the ce, bounds their error), for a
// gradient the largest Σ|term| of one entry (an exact 0 can be a sum of ±1 terms, as with tied
// logits). Fused against reference (both float32): the same form at 1e-5. float32's ε is 1.2e-7, so
// 1e-5 leaves ~80 ulps for the chunked reassociation of sums at these tiny sizes.
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import fc from 'fast-check';
import { tokenStats } from '../../src/head/fused-ce.js';
import { referenceTokenStats } from '../../src/head/reference.js';
import { assertClose, makeCase, runHead, runPlain, type CaseOptions, type HeadCase, type HeadOutputs } from './cases.js';
import { useBackend } from '../backend/helpers.js';

const RTOL = 1e-5;

function maxAbsLogit(c: HeadCase): number {
  return runPlain(c, false).logits.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
}

function compareWithPlain(c: HeadCase, got: HeadOutputs, withEntropy: boolean, label: string): void {
  const plain = runPlain(c, withEntropy);
  const logitScale = maxAbsLogit(c);
  assertClose(got.ce, plain.ce, RTOL, `${label} ce`, logitScale);
  if (withEntropy) assertClose(got.entropy!, plain.entropy, RTOL, `${label} entropy`, logitScale);
  assertClose(got.hiddenGrad, plain.hiddenGrad, RTOL, `${label} dL/dhidden`, plain.hiddenGradTermScale);
  assertClose(got.weightGrad, plain.weightGrad, RTOL, `${label} dL/dweight`, plain.weightGradTermScale);
}

function compareHeads(fused: HeadOutputs, reference: HeadOutputs, c: HeadCase, label: string): void {
  const logitScale = maxAbsLogit(c);
  const plain = runPlain(c, reference.entropy !== undefined);
  assertClose(fused.ce, reference.ce, RTOL, `${label} ce vs reference`, logitScale);
  if (reference.entropy !== undefined) assertClose(fused.entropy!, reference.entropy, RTOL, `${label} entropy vs reference`, logitScale);
  assertClose(fused.hiddenGrad, reference.hiddenGrad, RTOL, `${label} dL/dhidden vs reference`, plain.hiddenGradTermScale);
  assertClose(fused.weightGrad, reference.weightGrad, RTOL, `${label} dL/dweight vs reference`, plain.weightGradTermScale);
}

const sweep: Array<CaseOptions & { chunkSizes: number[] }> = [
  { name: 'plain', tokens: 6, width: 5, vocab: 11, seed: 1, chunkSizes: [1, 3, 4, 11, 64] },
  { name: 'masked tokens, padding target 0', tokens: 7, width: 4, vocab: 9, seed: 2, masked: [0, 3, 6], paddingTarget: 0, chunkSizes: [2, 9] },
  { name: 'masked tokens, target -100', tokens: 5, width: 3, vocab: 8, seed: 3, masked: [1, 4], paddingTarget: -100, chunkSizes: [3] },
  { name: 'masked tokens, target = vocab', tokens: 5, width: 3, vocab: 8, seed: 4, masked: [2], paddingTarget: 8, chunkSizes: [5] },
  { name: 'extreme logits ±80', tokens: 6, width: 6, vocab: 13, seed: 5, maxLogit: 80, chunkSizes: [1, 4, 13] },
  { name: 'ties: identical rows', tokens: 4, width: 3, vocab: 10, seed: 6, tiedRows: true, chunkSizes: [3, 10] },
  { name: 'every token has the same target', tokens: 6, width: 3, vocab: 7, seed: 12, sameTarget: 5, chunkSizes: [3, 7] },
  { name: 'one token', tokens: 1, width: 4, vocab: 7, seed: 7, chunkSizes: [1, 2, 7] },
  { name: 'one vocabulary entry', tokens: 3, width: 2, vocab: 1, seed: 8, chunkSizes: [1, 5] },
];

describe('head: fused chunked linear + cross-entropy', () => {
  useBackend('cpu');

  describe('reference head against Float64 loops', () => {
    for (const options of sweep) {
      it(options.name, () => {
        const c = makeCase(options);
        for (const withEntropy of [false, true]) {
          const got = runHead(c, (h, w, y) => referenceTokenStats(h, w, y, { entropy: withEntropy }));
          compareWithPlain(c, got, withEntropy, `reference${withEntropy ? '+entropy' : ''}`);
        }
      });
    }
  });

  describe('fused head against Float64 loops and the reference', () => {
    for (const options of sweep) {
      for (const chunkSize of options.chunkSizes) {
        it(`${options.name}, chunk ${chunkSize}`, () => {
          const c = makeCase(options);
          for (const withEntropy of [false, true]) {
            const label = `fused chunk ${chunkSize}${withEntropy ? '+entropy' : ''}`;
            const fused = runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize, entropy: withEntropy }));
            assert.equal(fused.entropy === undefined, !withEntropy, `${label}: entropy present iff asked for`);
            compareWithPlain(c, fused, withEntropy, label);
            const reference = runHead(c, (h, w, y) => referenceTokenStats(h, w, y, { entropy: withEntropy }));
            compareHeads(fused, reference, c, label);
          }
        });
      }
    }
  });

  it('matches the Float64 loops for random sizes, chunks, masks and logit scales', () => {
    const arbitraryCase = fc.record({
      tokens: fc.integer({ min: 1, max: 5 }),
      width: fc.integer({ min: 1, max: 4 }),
      vocab: fc.integer({ min: 1, max: 12 }),
      chunkSize: fc.integer({ min: 1, max: 14 }),
      seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
      maxLogit: fc.constantFrom(undefined, 5, 80),
      maskFirst: fc.boolean(),
      withEntropy: fc.boolean(),
    });
    fc.assert(fc.property(arbitraryCase, (r) => {
      const c = makeCase({ name: 'random', ...r, masked: r.maskFirst ? [0] : [], paddingTarget: -100 });
      const fused = runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize: r.chunkSize, entropy: r.withEntropy }));
      compareWithPlain(c, fused, r.withEntropy, `fused ${JSON.stringify(r)}`);
    }), { numRuns: 25, seed: 20260522 });
  });

  it('gives masked tokens exactly zero hidden gradient and ties give entropy log V', () => {
    const c = makeCase({ name: 'masked ties', tokens: 4, width: 3, vocab: 6, seed: 9, tiedRows: true, masked: [1, 2], paddingTarget: -100 });
    const fused = runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize: 4, entropy: true }));
    for (const t of [1, 2]) {
      for (let k = 0; k < c.width; k++) assert.equal(fused.hiddenGrad[t * c.width + k], 0, `token ${t} is masked`);
    }
    for (let t = 0; t < c.tokens; t++) {
      assert.ok(Math.abs(fused.entropy![t]! - Math.log(c.vocab)) < 1e-6, `entropy[${t}] = ${fused.entropy![t]}`);
      assert.ok(Math.abs(fused.ce[t]! - Math.log(c.vocab)) < 1e-6, `ce[${t}] = ${fused.ce[t]}`);
    }
  });

  it('keeps ce and entropy non-negative at extreme logits', () => {
    const c = makeCase({ name: 'extreme', tokens: 8, width: 4, vocab: 17, seed: 10, maxLogit: 80 });
    const fused = runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize: 5, entropy: true }));
    for (let t = 0; t < c.tokens; t++) {
      assert.ok(fused.ce[t]! >= 0, `ce[${t}] = ${fused.ce[t]}`);
      assert.ok(fused.entropy![t]! >= 0, `entropy[${t}] = ${fused.entropy![t]}`);
    }
  });

  it('leaves no tensors behind after forward and backward', () => {
    const c = makeCase({ name: 'leak', tokens: 5, width: 3, vocab: 10, seed: 11, masked: [0] });
    for (const withEntropy of [false, true]) {
      const before = tf.memory().numTensors;
      runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize: 3, entropy: withEntropy }));
      assert.equal(tf.memory().numTensors, before, `entropy ${withEntropy}`);
    }
  });

  it('rejects malformed arguments with the shapes in the message', () => {
    const hidden = tf.zeros([3, 4]) as tf.Tensor2D;
    const weight = tf.zeros([5, 4]) as tf.Tensor2D;
    const narrow = tf.zeros([5, 2]) as tf.Tensor2D;
    const targets = tf.zeros([3], 'int32') as tf.Tensor1D;
    const short = tf.zeros([2], 'int32') as tf.Tensor1D;
    const floatTargets = tf.zeros([3]) as tf.Tensor1D;
    try {
      assert.throws(() => tokenStats(hidden, narrow, targets, { chunkSize: 2 }), /width 4 does not match weight width 2/);
      assert.throws(() => tokenStats(hidden, weight, short, { chunkSize: 2 }), /targets must be \[3\]/);
      assert.throws(() => tokenStats(hidden, weight, floatTargets, { chunkSize: 2 }), /int32/);
      assert.throws(() => tokenStats(hidden, weight, targets, { chunkSize: 0 }), /chunkSize must be a positive integer/);
      assert.throws(() => tokenStats(hidden, weight, targets, { chunkSize: 2.5 }), /chunkSize/);
      assert.throws(() => referenceTokenStats(hidden, narrow, targets), /does not match/);
    } finally {
      tf.dispose([hidden, weight, narrow, targets, short, floatTargets]);
    }
  });
});
