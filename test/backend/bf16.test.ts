// bf16 products (train.precision = "bf16", src/backend/blas/bf16.ts): the SIMD packing kernel against
// its loop (rounding ties to even, NaN, infinities, strided rows, tails); oneDNN's GEMM and the Sgemm
// adapter against float64 loops over the bf16-rounded operands, with which products go to bf16 and
// which stay float32; three training steps in bf16 against float32 within a stated tolerance; and the
// setting's errors. The oneDNN parts are skipped, with a line saying so, where libdnnl.so.2 is missing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { BF16_MIN_MNK, Bf16Products, bf16Bits, bf16Value, findBf16Gemm, packBf16Reference } from '../../src/backend/blas/bf16.js';
import { activeBlas } from '../../src/backend/blas/matmul.js';
import { setProductPrecision } from '../../src/backend/blas/precision.js';
import { activeNativeKernels } from '../../src/backend/native-kernels/active.js';
import { heapArena } from '../../src/backend/heap/arena.js';
import { wasmHeap } from '../../src/backend/simd/module.js';
import { createModel } from '../../src/model/init.js';
import { presetConfig } from '../../src/model/presets.js';
import { AdamW } from '../../src/train/adamw.js';
import { trainStep } from '../../src/train/step.js';
import { loweredBenchObjective } from '../../bench/measure.js';
import { syntheticData } from '../../bench/synthetic.js';
import { BLAS, seeded, useBackend, WASM_BACKENDS } from './helpers.js';

const DNNL = await findBf16Gemm();

describe('bf16: rounding to bfloat16', () => {
  it('rounds to nearest, ties to even, and keeps NaN, infinities and signed zero', () => {
    // 1 + 2⁻⁸ is halfway between 1 and 1 + 2⁻⁷: ties to the even mantissa (1).
    assert.equal(bf16Value(bf16Bits(1 + 2 ** -8)), 1);
    // 1 + 3·2⁻⁸ is halfway between 1 + 2⁻⁷ and 1 + 2⁻⁶: ties to the even one (1 + 2⁻⁶).
    assert.equal(bf16Value(bf16Bits(1 + 3 * 2 ** -8)), 1 + 2 ** -6);
    assert.equal(bf16Value(bf16Bits(1 + 2 ** -8 + 2 ** -20)), 1 + 2 ** -7, 'above the tie rounds up');
    assert.ok(Number.isNaN(bf16Value(bf16Bits(NaN))));
    assert.equal(bf16Value(bf16Bits(Infinity)), Infinity);
    assert.equal(bf16Value(bf16Bits(-Infinity)), -Infinity);
    assert.ok(Object.is(bf16Value(bf16Bits(-0)), -0));
    assert.equal(bf16Value(bf16Bits(3.4e38)), Infinity, 'the largest floats round past bf16\'s largest');
    for (const x of [0.1, -2.5e-3, 12345.678, 1e-30]) assert.ok(Math.abs(bf16Value(bf16Bits(x)) - x) <= Math.abs(x) * 2 ** -9, String(x));
  });
});

// On wasm the WebAssembly kernel; on wasm-blas the native build where it loads (split over its
// threads at the largest size).
for (const backend of WASM_BACKENDS) describe(`bf16: the packing kernel on the wasm heap (${backend})`, () => {
  useBackend(backend);

  for (const [rows, cols, ld] of [[1, 1, 1], [3, 7, 7], [2, 8, 8], [5, 19, 23], [4, 64, 96], [301, 257, 260]] as const) {
    it(`packs ${rows} × ${cols} (leading dimension ${ld}) as its loop does, specials included`, () => {
      const heap = wasmHeap()!;
      const src = seeded(rows * ld, cols).map((v, i) => v * 10 ** ((i % 9) - 4));
      // Specials where the vector lanes and the tail both see them.
      const specials = [NaN, Infinity, -Infinity, -0, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 3.4e38, -1e-40];
      specials.forEach((x, i) => (src[(i * 5) % src.length] = x));
      const arena = heapArena(heap.backend);
      arena.reserve(rows * ld + rows * cols);
      const view = arena.view(0, rows * ld);
      view.set(src);
      const dstAt = view.byteOffset + ((rows * ld * 4 + 15) & ~15);
      heap.simd.f32_to_bf16(view.byteOffset, rows, cols, ld, dstAt);
      const got = new Uint16Array(heap.backend.wasm.HEAPU8.buffer, dstAt, rows * cols);
      const expected = new Uint16Array(rows * cols);
      packBf16Reference(src, rows, cols, ld, expected);
      for (let i = 0; i < expected.length; i++) {
        const [g, e] = [got[i]!, expected[i]!];
        // Any NaN is a NaN: compare the bits elsewhere.
        if (Number.isNaN(bf16Value(e))) assert.ok(Number.isNaN(bf16Value(g)), `element ${i}: NaN packed as 0x${g.toString(16)}`);
        else assert.equal(g, e, `element ${i} (${src[Math.floor(i / cols) * ld + (i % cols)]}): 0x${g.toString(16)} vs 0x${e.toString(16)}`);
      }
      arena.release();
    });
  }
});

/** C = alpha·op(A)·op(B) + beta·C in float64 over the bf16-rounded A and B. */
function bf16Reference(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number): Float64Array {
  const ra = Float64Array.from(a, (x) => bf16Value(bf16Bits(x)));
  const rb = Float64Array.from(b, (x) => bf16Value(bf16Bits(x)));
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += (transA ? ra[p * lda + i]! : ra[i * lda + p]!) * (transB ? rb[j * ldb + p]! : rb[p * ldb + j]!);
      out[i * n + j] = alpha * acc + beta * c[i * ldc + j]!;
    }
  }
  return out;
}

describe('bf16: oneDNN products through the Sgemm adapter', function () {
  this.timeout(60_000);
  let previous: string | undefined;
  before(async function () {
    if (!DNNL.ok || !BLAS.ok) {
      console.log(`      (skipped: ${!DNNL.ok ? DNNL.reason : !BLAS.ok ? BLAS.reason : ''})`);
      this.skip();
    }
    previous = tf.getBackend();
    await initBackend('wasm-blas');
  });
  after(async () => {
    await setProductPrecision('fp32');
    if (previous !== undefined) await tf.setBackend(previous);
  });

  it('runs large products in bf16 (against loops over the rounded operands) and small ones in float32 (exactly the float32 product)', () => {
    assert.ok(DNNL.ok);
    const heap = wasmHeap()!;
    const fp32 = activeBlas()!.sgemm;
    const products = new Bf16Products(DNNL.gemm, fp32, heap.backend, heap.simd);
    const cases = [
      { transA: false, transB: false, m: 160, n: 130, k: 120 },
      { transA: true, transB: false, m: 129, n: 144, k: 136 },
      { transA: false, transB: true, m: 140, n: 131, k: 150 },
      { transA: true, transB: true, m: 133, n: 128, k: 127 },
      { transA: false, transB: true, m: 16, n: 16, k: 8 }, // below BF16_MIN_MNK
    ];
    const arena = heapArena(heap.backend);
    arena.reserve(3 * 160 * 160 + 64);
    for (const [round, t] of cases.entries()) {
      const { m, n, k } = t;
      const [aRows, aCols] = t.transA ? [k, m] : [m, k];
      const [bRows, bCols] = t.transB ? [n, k] : [k, n];
      const lda = aCols + 3; // strided rows: the packing reads the leading dimension
      const ldb = bCols;
      const a = arena.view(0, aRows * lda);
      const b = arena.view(160 * 160, bRows * ldb);
      const c = arena.view(2 * 160 * 160, m * n);
      a.set(seeded(aRows * lda, 1 + round));
      b.set(seeded(bRows * ldb, 11 + round));
      c.set(seeded(m * n, 21 + round));
      const c0 = Float32Array.from(c);
      const before = { ...products.counts };
      // The first large product finds no scratch (it runs in float32 and asks for room); after the
      // safe point it runs in bf16.
      products.prepareScratch();
      products.sgemm(t.transA, t.transB, m, n, k, 1.5, a, lda, b, ldb, 0.25, c, n);
      const big = m * n * k >= BF16_MIN_MNK;
      if (big && products.counts.bf16 === before.bf16) {
        c.set(c0);
        products.prepareScratch();
        products.sgemm(t.transA, t.transB, m, n, k, 1.5, a, lda, b, ldb, 0.25, c, n);
      }
      assert.equal(products.counts.bf16 > before.bf16, big, `${m}×${n}×${k}: bf16 only at or above BF16_MIN_MNK`);
      const expected = big ? bf16Reference(t.transA, t.transB, m, n, k, 1.5, a, lda, b, ldb, 0.25, c0, n) : undefined;
      if (expected !== undefined) {
        for (let i = 0; i < expected.length; i++) {
          assert.ok(Math.abs(c[i]! - expected[i]!) <= 1e-4 * Math.max(1, Math.abs(expected[i]!)), `${m}×${n}×${k} element ${i}: ${c[i]} vs ${expected[i]}`);
        }
      } else {
        const f = Float32Array.from(c0);
        fp32(t.transA, t.transB, m, n, k, 1.5, a, lda, b, ldb, 0.25, f, n);
        assert.deepEqual(Array.from(c), Array.from(f));
      }
    }
    products.release();
    arena.release();
  });

  it('three training steps in bf16 stay within 2e-3 (relative) of float32, and the run\'s products went through oneDNN', async () => {
    const config = { ...presetConfig('small')!, vocabSize: 512, hiddenSize: 128, numLayers: 2, numHeads: 4, numKvHeads: 4, intermediateSize: 512 };
    const data = syntheticData(512, 64, 8, 2);
    const losses: Record<string, number[]> = {};
    for (const precision of ['fp32', 'bf16'] as const) {
      const set = await setProductPrecision(precision);
      assert.ok(set.ok, set.ok ? '' : set.reason);
      // With the native kernels' pool running the products, the bf16 ones are split over it too
      // (oneDNN on one thread a part), and the pool keeps its threads.
      const native = activeNativeKernels();
      if (native?.sgemm !== undefined && native.threads > 1) {
        assert.equal(native.runningThreads(), native.threads);
        assert.equal(/split over the native kernels' \d+ threads, oneDNN on one thread a part/.test(set.note), precision === 'bf16', set.note);
      }
      const model = createModel(config, 3);
      const objective = loweredBenchObjective('sft', data);
      const optimizer = new AdamW(model.params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05 });
      losses[precision] = [];
      for (let i = 0; i < 3; i++) {
        losses[precision]!.push(trainStep({ model, objective, optimizer, microBatches: [data.batches[i % 2]!], step: i, totalSteps: 3, lr: 1e-3, clipGrad: 1 }).loss);
      }
      model.dispose();
    }
    for (let i = 0; i < 3; i++) {
      const [f, b] = [losses['fp32']![i]!, losses['bf16']![i]!];
      assert.ok(Math.abs(f - b) <= 2e-3 * Math.abs(f), `step ${i + 1}: bf16 ${b} against float32 ${f}`);
    }
    assert.notDeepEqual(losses['fp32'], losses['bf16'], 'the bf16 run multiplied in bf16 (its losses differ in the last digits)');
  });
});

describe('bf16: the process around oneDNN', () => {
  it('a process that ends right after binding oneDNN (its OpenMP threads still spinning) exits cleanly', function () {
    this.timeout(60_000);
    if (!DNNL.ok) {
      console.log(`      (skipped: ${DNNL.reason})`);
      this.skip();
    }
    // The binding runs a check product, so OpenMP's team is spinning when the script ends and Node
    // tears down; unloading oneDNN then killed 9 of 10 such processes by SIGSEGV (keepLoaded).
    const bf16 = new URL('../../src/backend/blas/bf16.js', import.meta.url).href;
    const script = `const { findBf16Gemm } = await import(${JSON.stringify(bf16)}); const r = await findBf16Gemm(); if (!r.ok) throw new Error(r.reason);`;
    // OpenMP's default team (a bf16 run with the native pool sets OMP_NUM_THREADS=1 in this process).
    const env = { ...process.env };
    delete env['OMP_NUM_THREADS'];
    for (let i = 0; i < 5; i++) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 50_000, env });
      assert.equal(r.signal, null, `run ${i + 1} killed by ${r.signal}: ${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
    }
  });
});

describe('bf16: where it cannot run', () => {
  it('a library without the GEMM is a reason naming it and the Debian package', async () => {
    const r = await findBf16Gemm({ library: '/nonexistent/libdnnl.so.2' });
    assert.ok(!r.ok);
    assert.match(r.reason, /\/nonexistent\/libdnnl\.so\.2.*apt-get install libdnnl2/);
  });

  it('without the wasm-blas backend the setting says what it needs', async () => {
    const previous = tf.getBackend();
    await initBackend('wasm');
    try {
      const r = await setProductPrecision('bf16');
      assert.ok(!r.ok);
      assert.match(r.reason, /train\.precision = "bf16" needs the wasm-blas backend/);
    } finally {
      await setProductPrecision('fp32');
      await tf.setBackend(previous);
    }
  });
});
