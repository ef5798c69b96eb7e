// The optional BLAS accelerator (src/backend/blas/): finding the library and explaining why not,
// the wasm-blas backend's notes and auto's choice, the switch between wasm and wasm-blas in one
// process, and products through cblas_sgemm against plain loops (shapes the model uses, a fold,
// broadcasts, empty and k = 0 operands). Values and gradients over all transposes and batches are
// in batched-matmul.test.ts and transposed-matmul.test.ts, which run on both wasm backends.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { candidateLibraries, findBlas, type Blas } from '../../src/backend/blas/library.js';
import { activeBlas, setActiveBlas } from '../../src/backend/blas/matmul.js';
import { BackendLoadError, initBackend } from '../../src/backend/index.js';
import { matMulReference } from '../../src/backend/kernels/reference.js';
import { assertClose, BLAS, onBackend, seeded } from './helpers.js';

const notFound = (specifier: string): Error =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from /somewhere`), { code: 'ERR_MODULE_NOT_FOUND' });

describe('backend: finding a BLAS', () => {
  it('without koffi says the optional package could not be loaded', async () => {
    const outcome = await findBlas({ importKoffi: async () => Promise.reject(new Error("Cannot find package 'koffi'")) });
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.reason : '', /optional package koffi \(FFI\) could not be loaded: Cannot find package 'koffi'/);
  });

  it('names every library it tried and what to install when none loads', async () => {
    const outcome = await findBlas({ candidates: ['/nonexistent/libopenblas.so.0', 'libsftgoc-no-such-blas.so'] });
    assert.equal(outcome.ok, false);
    const reason = !outcome.ok ? outcome.reason : '';
    assert.match(reason, /no optimized BLAS found/);
    assert.match(reason, /\/nonexistent\/libopenblas\.so\.0/);
    assert.match(reason, /libsftgoc-no-such-blas\.so/);
  });

  it('rejects a library without cblas_sgemm, saying so', async function () {
    if (process.platform !== 'linux') this.skip();
    const outcome = await findBlas({ candidates: ['libm.so.6'] });
    assert.equal(outcome.ok, false);
    assert.match(!outcome.ok ? outcome.reason : '', /libm\.so\.6 has no cblas_sgemm/);
  });

  it('never tries the reference libblas.so.3 by name (slower than wasm when no optimized BLAS is installed)', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      assert.ok(!candidateLibraries(platform).some((l) => /libblas\.so/.test(l)), platform);
    }
  });
});

const found = BLAS;
if (!found.ok) {
  describe('backend: wasm-blas', () => {
    it.skip(`wasm-blas not tested: ${found.reason}`);
    it('an explicit wasm-blas request fails with the reason', async () => {
      await assert.rejects(initBackend('wasm-blas'), (e: unknown) => e instanceof BackendLoadError && /wasm-blas|BLAS|koffi/.test(e.message));
    });
  });
} else {
  const blas = found.blas;

  describe('backend: wasm-blas', () => {
    let previous: string | undefined;
    before(() => {
      previous = tf.getBackend();
    });
    after(async () => {
      await tf.setBackend(previous ?? 'cpu');
    });

    it('auto takes wasm-blas when a BLAS is found and says which library', async () => {
      await tf.setBackend('cpu');
      const info = await initBackend('auto', { importModule: async (s) => Promise.reject(notFound(s)) });
      assert.equal(info.name, 'wasm-blas');
      assert.equal(tf.getBackend(), 'wasm');
      const text = info.notes.join('\n');
      assert.match(text, /auto: took wasm-blas/);
      assert.match(text, /through cblas_sgemm of .*\(/);
      // The same library; its product is the native kernels' split one where they loaded.
      assert.equal(activeBlas()?.library, blas.library);
    });

    it('switches the products between wasm (XNNPACK) and wasm-blas in one process', async () => {
      const calls = { n: 0 };
      const product = () => tf.tidy(() => tf.matMul(tf.ones([4, 3]), tf.ones([3, 2])).dataSync());
      await initBackend('wasm');
      assert.equal(activeBlas(), undefined);
      assert.deepEqual([...product()], [3, 3, 3, 3, 3, 3, 3, 3]);
      await initBackend('wasm-blas');
      const active = activeBlas();
      assert.equal(active?.library, blas.library);
      const counting: Blas = { ...active!, sgemm: (...args) => { calls.n++; active!.sgemm(...args); } };
      setActiveBlas(counting);
      try {
        assert.deepEqual([...product()], [3, 3, 3, 3, 3, 3, 3, 3]);
        assert.equal(calls.n, 1, 'one cblas_sgemm call');
      } finally {
        setActiveBlas(active);
      }
      await initBackend('wasm');
      assert.equal(activeBlas(), undefined);
    });

    describe('products through cblas_sgemm against loops', () => {
      before(async () => {
        await initBackend('wasm-blas');
      });

      const cases: Array<{ label: string; a: number[]; b: number[]; tA?: boolean; tB?: boolean }> = [
        { label: 'an MLP projection [96,40]×[40,72]', a: [96, 40], b: [40, 72] },
        { label: 'the head\'s logits with transposeB [48,32]×[80,32]ᵀ', a: [48, 32], b: [80, 32], tB: true },
        { label: 'a weight gradient with transposeA [64,24]ᵀ×[64,56]', a: [64, 24], b: [64, 56], tA: true },
        { label: 'attention scores [2,3,16,8]×[2,3,16,8]ᵀ', a: [2, 3, 16, 8], b: [2, 3, 16, 8], tB: true },
        { label: 'a folded batch [3,10,12]×[12,9]', a: [3, 10, 12], b: [12, 9] },
        { label: 'a folded batch with transposeB [3,10,12]×[9,12]ᵀ', a: [3, 10, 12], b: [9, 12], tB: true },
        { label: 'a broadcast left operand [1,5,7]×[4,7,3]', a: [1, 5, 7], b: [4, 7, 3] },
        { label: 'both transposed, broadcast right [2,6,5]ᵀ×[1,4,6]ᵀ', a: [2, 6, 5], b: [1, 4, 6], tA: true, tB: true },
      ];
      for (const c of cases) {
        it(c.label, () => {
          const a = seeded(c.a.reduce((x, y) => x * y, 1), 5);
          const b = seeded(c.b.reduce((x, y) => x * y, 1), 6);
          // matMulReference needs equal ranks: give a rank-2 right operand leading axes of 1.
          const bShape = [...Array<number>(c.a.length - c.b.length).fill(1), ...c.b];
          const expected = matMulReference(a, c.a, b, bShape, c.tA ?? false, c.tB ?? false);
          const got = tf.tidy(() => {
            const out = tf.matMul(tf.tensor(a, c.a), tf.tensor(b, c.b), c.tA ?? false, c.tB ?? false);
            return { shape: out.shape, values: out.dataSync() };
          });
          assert.deepEqual(got.shape, expected.shape);
          assertClose(got.values, expected.values, { abs: 1e-4, rel: 1e-4 }, c.label);
        });
      }

      it('empty operands and k = 0 give the right shapes (zeros for k = 0), as on cpu', async () => {
        const shapes: Array<[number[], number[]]> = [[[0, 3], [3, 4]], [[2, 0], [0, 4]], [[2, 3], [3, 0]], [[2, 2, 0], [2, 0, 3]]];
        for (const [aShape, bShape] of shapes) {
          const run = () => tf.tidy(() => {
            const out = tf.matMul(tf.zeros(aShape).add(1), tf.zeros(bShape).add(1));
            return { shape: out.shape, values: [...out.dataSync()] };
          });
          const got = run();
          const cpu = await onBackend('cpu', run);
          assert.deepEqual(got, cpu, `${aShape} × ${bShape}`);
        }
      });

      it('leaves no tensors or wasm buffers behind (value and gradient)', () => {
        const a = tf.tensor(seeded(2 * 6 * 8, 1), [2, 6, 8]);
        const b = tf.tensor(seeded(2 * 8 * 5, 2), [2, 8, 5]);
        tf.matMul(a, b).dispose();
        const before = tf.memory();
        for (let i = 0; i < 3; i++) {
          tf.matMul(a, b, false, false).dispose();
          tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]));
        }
        const after = tf.memory();
        assert.equal(after.numTensors, before.numTensors);
        assert.equal(after.numBytes, before.numBytes);
        tf.dispose([a, b]);
      });
    });
  });
}
