// The fused head on the wasm backends (the ones training uses without native TensorFlow), against
// the Float64 loops, with the same tolerance as on cpu: several chunks with the entropy, and a
// single chunk with and without it (without: the softmax path, P from the Softmax kernel kept for
// the backward), on wasm and, where a BLAS is found, wasm-blas.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { tokenStats } from '../../src/head/fused-ce.js';
import { referenceTokenStats } from '../../src/head/reference.js';
import { assertClose, makeCase, runHead, runPlain, type CaseOptions } from './cases.js';
import { noteWhenBlasMissing, useBackend, WASM_BACKENDS } from '../backend/helpers.js';


const cases: Array<CaseOptions & { chunkSize: number }> = [
  { name: 'vocabulary not a multiple of the chunk, masked', tokens: 6, width: 5, vocab: 11, seed: 21, masked: [2], paddingTarget: -100, chunkSize: 4 },
  { name: 'extreme logits ±80', tokens: 5, width: 4, vocab: 9, seed: 22, maxLogit: 80, chunkSize: 2 },
  { name: 'every token has the same target', tokens: 5, width: 3, vocab: 6, seed: 24, sameTarget: 2, chunkSize: 4 },
  { name: 'chunk of one, one token', tokens: 1, width: 3, vocab: 5, seed: 23, chunkSize: 1 },
  { name: 'single chunk, masked', tokens: 7, width: 5, vocab: 11, seed: 25, masked: [1, 4], paddingTarget: -100, chunkSize: 8192 },
  { name: 'single chunk, extreme logits ±80', tokens: 6, width: 4, vocab: 13, seed: 26, maxLogit: 80, chunkSize: 13 },
  { name: 'single chunk, ties: identical rows', tokens: 4, width: 3, vocab: 10, seed: 27, tiedRows: true, chunkSize: 10 },
];

for (const backend of WASM_BACKENDS) describe(`head: fused head on the ${backend} backend`, function () {
  useBackend(backend);
  noteWhenBlasMissing();

  it(`one chunk without the entropy runs ${backend === 'wasm-blas' ? 'the native head (src/head/native-ce.ts: no Softmax kernel)' : 'the tfjs softmax path'}`, async () => {
    const c = makeCase({ name: 'path', tokens: 4, width: 3, vocab: 6, seed: 31 });
    const info = await tf.profile(() => {
      runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize: 8192 }));
    });
    assert.equal(info.kernels.some((k) => k.name === 'Softmax'), backend !== 'wasm-blas');
  });

  for (const options of cases) {
    it(`${options.name}, ce only and with the entropy`, () => {
      const c = makeCase(options);
      const logitScale = runPlain(c, false).logits.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
      const ceOnly = runPlain(c, false);
      const alone = runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize: options.chunkSize }));
      assertClose(alone.ce, ceOnly.ce, 1e-5, 'wasm fused ce (ce only)', logitScale);
      assertClose(alone.hiddenGrad, ceOnly.hiddenGrad, 1e-5, 'wasm fused dL/dhidden (ce only)', ceOnly.hiddenGradTermScale);
      assertClose(alone.weightGrad, ceOnly.weightGrad, 1e-5, 'wasm fused dL/dweight (ce only)', ceOnly.weightGradTermScale);
      const plain = runPlain(c, true);
      const fused = runHead(c, (h, w, y) => tokenStats(h, w, y, { chunkSize: options.chunkSize, entropy: true }));
      assertClose(fused.ce, plain.ce, 1e-5, 'wasm fused ce', logitScale);
      assertClose(fused.entropy!, plain.entropy, 1e-5, 'wasm fused entropy', logitScale);
      assertClose(fused.hiddenGrad, plain.hiddenGrad, 1e-5, 'wasm fused dL/dhidden', plain.hiddenGradTermScale);
      assertClose(fused.weightGrad, plain.weightGrad, 1e-5, 'wasm fused dL/dweight', plain.weightGradTermScale);
      const reference = runHead(c, (h, w, y) => referenceTokenStats(h, w, y, { entropy: true }));
      assertClose(reference.ce, plain.ce, 1e-5, 'wasm reference ce', logitScale);
      assertClose(reference.weightGrad, plain.weightGrad, 1e-5, 'wasm reference dL/dweight', plain.weightGradTermScale);
    });
  }
});
