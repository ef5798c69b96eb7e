// The native kernels' loader (src/backend/native-kernels/load.ts): which build a CPU gets, and the
// products it splits over its threads (one product by rows or columns, a batch of small ones)
// against plain loops (src/backend/blas/plain-sgemm.ts) in every operand layout, from offset views.
// The kernels themselves are compared with their loops in simd.test.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { sgemmBatchByLoop } from '../../src/backend/blas/library.js';
import { plainSgemm } from '../../src/backend/blas/plain-sgemm.js';
import { activeNativeKernels } from '../../src/backend/native-kernels/active.js';
import { chooseNativeLevel } from '../../src/backend/native-kernels/load.js';
import { assertClose, BLAS, seeded } from './helpers.js';

const V3 = ['avx2', 'fma', 'bmi1', 'bmi2', 'f16c', 'movbe'];
const V4 = [...V3, 'avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'];

describe('backend: native kernels, the build chosen', () => {
  it('takes AVX-512 where the CPU has it, AVX2 + FMA otherwise, and says why not on other CPUs and platforms', () => {
    assert.deepEqual(chooseNativeLevel(new Set(V4), {}, 'linux', 'x64'), { level: 'x86-64-v4' });
    assert.deepEqual(chooseNativeLevel(new Set(V3), {}, 'linux', 'x64'), { level: 'x86-64-v3' });
    assert.match((chooseNativeLevel(new Set(['sse2']), {}, 'linux', 'x64') as { reason: string }).reason, /lacks AVX2 and FMA/);
    assert.match((chooseNativeLevel(new Set(V4), {}, 'darwin', 'arm64') as { reason: string }).reason, /Linux on x86-64 only \(this is darwin on arm64\)/);
  });

  it('SFTGOC_NATIVE_KERNELS: off, a level (refused by name on a CPU without it), anything else named', () => {
    assert.deepEqual(chooseNativeLevel(new Set(V4), { SFTGOC_NATIVE_KERNELS: 'off' }, 'linux', 'x64'), { reason: 'SFTGOC_NATIVE_KERNELS=off' });
    assert.deepEqual(chooseNativeLevel(new Set(V4), { SFTGOC_NATIVE_KERNELS: 'x86-64-v3' }, 'linux', 'x64'), { level: 'x86-64-v3' });
    assert.match((chooseNativeLevel(new Set(V3), { SFTGOC_NATIVE_KERNELS: 'x86-64-v4' }, 'linux', 'x64') as { reason: string }).reason, /lacks avx512f, avx512bw, avx512cd, avx512dq, avx512vl for x86-64-v4/);
    assert.match((chooseNativeLevel(new Set(V4), { SFTGOC_NATIVE_KERNELS: 'avx9' }, 'linux', 'x64') as { reason: string }).reason, /SFTGOC_NATIVE_KERNELS=avx9 is not one of off, x86-64-v4, x86-64-v3/);
  });
});

describe('backend: native kernels, products over the pool against loops', () => {
  let previous: string | undefined;
  before(async function () {
    previous = tf.getBackend();
    if (!BLAS.ok) this.skip();
    await initBackend('wasm-blas');
    if (activeNativeKernels()?.sgemm === undefined) this.skip();
  });
  after(async () => {
    await tf.setBackend(previous ?? 'cpu');
  });

  // Above the split threshold (2²¹ m·n·k): by rows when m ≥ n, by columns otherwise.
  for (const [m, n, k] of [[301, 97, 131], [97, 301, 131], [1024, 33, 65]] as const) {
    for (const [transA, transB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      it(`one product ${m}×${k}·${k}×${n}, ${transA ? 'Aᵀ' : 'A'}·${transB ? 'Bᵀ' : 'B'}, split ${m >= n ? 'by rows' : 'by columns'}`, () => {
        const sgemm = activeNativeKernels()!.sgemm!;
        // Leading dimensions wider than the rows, operands at offsets into larger arrays.
        const [lda, ldb, ldc] = [(transA ? m : k) + 3, (transB ? k : n) + 5, n + 2];
        const a = seeded(5 + (transA ? k : m) * lda, m + 1);
        const b = seeded(7 + (transB ? n : k) * ldb, n + 2);
        const c0 = seeded(m * ldc, k + 3);
        const [got, want] = [Float32Array.from(c0), Float32Array.from(c0)];
        sgemm(transA, transB, m, n, k, 0.75, a.subarray(5), lda, b.subarray(7), ldb, -0.5, got, ldc);
        plainSgemm(transA, transB, m, n, k, 0.75, a.subarray(5), lda, b.subarray(7), ldb, -0.5, want, ldc);
        assertClose(got, want, { abs: 1e-4, rel: 1e-4 }, 'C');
      });
    }
  }

  for (const beta of [0, 1]) {
    it(`a batch of 48 products of 64×32·32×64 at scattered offsets, beta ${beta}, against one loop call each`, () => {
      const batch = activeNativeKernels()!.sgemmBatch!;
      const count = 48;
      const [m, n, k] = [64, 64, 32];
      const a = seeded(count * m * k + 11, 1);
      const b = seeded(count * n * k + 13, 2);
      const c0 = seeded(count * m * n, 3);
      const order = (block: number, shift: number) => Int32Array.from({ length: count }, (_, i) => ((i * 17) % count) * block + shift);
      const [got, want] = [Float32Array.from(c0), Float32Array.from(c0)];
      batch(count, false, true, m, n, k, 0.5, a, order(m * k, 11), k, b, order(n * k, 13), k, beta, got, order(m * n, 0), n);
      sgemmBatchByLoop(plainSgemm)(count, false, true, m, n, k, 0.5, a, order(m * k, 11), k, b, order(n * k, 13), k, beta, want, order(m * n, 0), n);
      assertClose(got, want, { abs: 1e-4, rel: 1e-4 }, 'C blocks');
    });
  }

  it('2,000 split products back to back, some after the workers fell asleep: each as its loop (parts are claimed, not assigned)', function () {
    this.timeout(60_000);
    // Two jobs that differ in every field (shape, scale, operands, output): a thread that ran a part
    // of one job with the other's fields, or a part run twice or never, shows in one of the outputs.
    const sgemm = activeNativeKernels()!.sgemm!;
    const jobs = ([[301, 97, 131, 0.75], [97, 301, 72, -1.25]] as const).map(([m, n, k, alpha], j) => {
      const [a, b] = [seeded(m * k, 20 + j), seeded(k * n, 30 + j)];
      const want = new Float32Array(m * n);
      plainSgemm(false, false, m, n, k, alpha, a, k, b, n, 0, want, n);
      return { run: (c: Float32Array) => sgemm(false, false, m, n, k, alpha, a, k, b, n, 0, c, n), got: new Float32Array(m * n), want };
    });
    for (let i = 0; i < 2000; i++) {
      // Every 250th job comes after a 20 ms pause, long enough for the workers to stop spinning.
      if (i % 250 === 249) {
        const until = Date.now() + 20;
        while (Date.now() < until) { /* busy wait: the workers sleep */ }
      }
      const job = jobs[i % 2]!;
      job.got.fill(NaN);
      job.run(job.got);
      if (i % 50 === 0 || i >= 1998) assertClose(job.got, job.want, { abs: 1e-4, rel: 1e-4 }, `job ${i}`);
    }
  });

  it('a process that ends right after a split kernel exits cleanly (workers still spinning in the library)', function () {
    this.timeout(60_000);
    // The backend module, as the compiled test sees it (dist/test/backend → dist/src/backend).
    const backend = new URL('../../src/backend/index.js', import.meta.url).href;
    const heap = new URL('../../src/backend/simd/module.js', import.meta.url).href;
    const script = `
      const { initBackend } = await import(${JSON.stringify(backend)});
      const { wasmHeap } = await import(${JSON.stringify(heap)});
      await initBackend('wasm-blas');
      const h = wasmHeap();
      const n = 1 << 18;
      const at = h.backend.wasm._malloc(3 * 4 * n);
      h.simd.gelu_tanh_fwd(at, n, at + 4 * n, at + 8 * n);`;
    // The script ends by itself (Node tears down its environment, koffi's libraries with it), right
    // after the kernel: when the library was unloaded there, the process died by SIGSEGV.
    for (let i = 0; i < 3; i++) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 50_000 });
      assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
      assert.equal(r.status, 0, r.stderr);
    }
  });

  it('the pool runs as many threads as asked, between one and the BLAS\'s count', () => {
    const native = activeNativeKernels()!;
    try {
      assert.equal(native.useThreads(1), 1);
      assert.equal(native.runningThreads(), 1);
      assert.equal(native.useThreads(999), native.threads);
      assert.equal(native.runningThreads(), native.threads);
    } finally {
      native.useThreads(native.threads);
    }
  });

  it('a batch offset outside its array is refused before the BLAS sees it', () => {
    const batch = activeNativeKernels()!.sgemmBatch!;
    const x = new Float32Array(16);
    assert.throws(() => batch(1, false, false, 2, 2, 2, 1, x, Int32Array.of(15), 2, x, Int32Array.of(0), 2, 0, x, Int32Array.of(99), 2), /outside its array/);
  });
});
