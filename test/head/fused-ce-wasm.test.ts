// The fused head on the wasm backend (the one training uses without native TensorFlow), against the
// Float64 loops, with the same tolerance as on cpu.
import * as tf from '@tensorflow/tfjs';
import { tokenStats } from '../../src/head/fused-ce.js';
import { referenceTokenStats } from '../../src/head/reference.js';
import { assertClose, makeCase, runHead, runPlain, type CaseOptions } from './cases.js';
import { useBackend } from '../backend/helpers.js';


const cases: Array<CaseOptions & { chunkSize: number }> = [
  { name: 'vocabulary not a multiple of the chunk, masked', tokens: 6, width: 5, vocab: 11, seed: 21, masked: [2], paddingTarget: -100, chunkSize: 4 },
  { name: 'extreme logits ±80', tokens: 5, width: 4, vocab: 9, seed: 22, maxLogit: 80, chunkSize: 2 },
  { name: 'every token has the same target', tokens: 5, width: 3, vocab: 6, seed: 24, sameTarget: 2, chunkSize: 4 },
  { name: 'chunk of one, one token', tokens: 1, width: 3, vocab: 5, seed: 23, chunkSize: 1 },
];

describe('head: fused head on the wasm backend', function () {
  useBackend('wasm');

  for (const options of cases) {
    it(options.name, () => {
      const c = makeCase(options);
      const logitScale = runPlain(c, false).logits.reduce((m, x) => Math.max(m, Math.abs(x)), 1);
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
