// initBackend: explicit names, auto's order and its notes, clear errors, idempotence. The native
// packages are not installed here, so their loading is exercised through an injected importer.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BackendLoadError, initBackend, isBackendRequest, type BackendInfo } from '../../src/backend/index.js';
import { BLAS } from './helpers.js';

const notFound = (specifier: string): Error =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from /somewhere`), { code: 'ERR_MODULE_NOT_FOUND' });

describe('backend: initBackend', () => {
  let previous: string | undefined;
  before(() => {
    previous = tf.getBackend();
  });
  after(async () => {
    await tf.setBackend(previous ?? 'cpu');
  });

  it('takes wasm explicitly, says so, and a repeated call is a no-op returning the same info', async () => {
    const first = await initBackend('wasm');
    assert.equal(first.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    assert.ok(first.notes.some((n) => /SIMD|thread/.test(n)), first.notes.join('\n'));
    const second = await initBackend('wasm');
    assert.equal(second, first);
  });

  it('takes cpu explicitly and switches back to wasm on request', async () => {
    const cpu = await initBackend('cpu');
    assert.equal(cpu.name, 'cpu');
    assert.equal(tf.getBackend(), 'cpu');
    const wasm = await initBackend('wasm');
    assert.equal(wasm.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('re-initialises when someone else switched the global backend in between', async () => {
    await initBackend('wasm');
    await tf.setBackend('cpu');
    const again = await initBackend('wasm');
    assert.equal(again.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('auto skips absent native packages, naming each and how to install it, and takes wasm-blas or wasm', async () => {
    await tf.setBackend('cpu'); // so auto really selects again
    const info = await initBackend('auto', { importModule: async (s) => Promise.reject(notFound(s)) });
    // wasm-blas when this machine has an optimized BLAS (blas.test.ts), else wasm with the reason.
    assert.equal(info.name, BLAS.ok ? 'wasm-blas' : 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
    const text = info.notes.join('\n');
    assert.match(text, BLAS.ok ? /auto: took wasm-blas/ : /auto: took wasm\n[^]*wasm-blas skipped: /);
    assert.match(text, /tensorflow-gpu skipped: @tensorflow\/tfjs-node-gpu is not installed \(npm install @tensorflow\/tfjs-node-gpu\)/);
    assert.match(text, /tensorflow skipped: @tensorflow\/tfjs-node is not installed/);
  });

  it('auto reports a native package that is present but broken, with its error', async () => {
    await tf.setBackend('cpu');
    const importModule = async (s: string): Promise<unknown> => {
      if (s === '@tensorflow/tfjs-node-gpu') throw new Error('libcudart.so.11.0: cannot open shared object file\nstack...');
      throw notFound(s);
    };
    const info = await initBackend('auto', { importModule });
    assert.match(info.notes.join('\n'), /tensorflow-gpu skipped: @tensorflow\/tfjs-node-gpu failed to load: libcudart\.so\.11\.0: cannot open shared object file$/m);
  });

  it('rejects a package that loads but registers its backend with another copy of tfjs', async () => {
    await assert.rejects(
      initBackend('tensorflow', { importModule: async () => ({}) }),
      (e: unknown) => e instanceof BackendLoadError && /did not register a 'tensorflow' backend with this @tensorflow\/tfjs/.test(e.message),
    );
  });

  it('an explicit native backend that is not installed fails with a clear error and leaves the backend alone', async () => {
    await initBackend('wasm');
    await assert.rejects(initBackend('tensorflow'), (e: unknown) => {
      assert.ok(e instanceof BackendLoadError);
      assert.equal(e.requested, 'tensorflow');
      assert.match(e.message, /backend 'tensorflow' could not be loaded:\n {2}tensorflow skipped: @tensorflow\/tfjs-node is not installed \(npm install @tensorflow\/tfjs-node\)/);
      return true;
    });
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('auto prefers a native backend that loads (simulated with a registered stand-in)', async () => {
    // Stand-in for tfjs-node-gpu: importing it registers a 'tensorflow' backend, as the real one does.
    const CpuBackend = (tf.findBackend('cpu') as object).constructor as new () => tf.KernelBackend;
    let info: BackendInfo | undefined;
    try {
      info = await initBackend('auto', {
        importModule: async (s) => {
          if (s !== '@tensorflow/tfjs-node-gpu') throw notFound(s);
          tf.registerBackend('tensorflow', () => new CpuBackend(), 3);
          return {};
        },
      });
      assert.equal(info.name, 'tensorflow-gpu');
      assert.equal(tf.getBackend(), 'tensorflow');
      assert.match(info.notes.join('\n'), /auto: took tensorflow-gpu/);
    } finally {
      await tf.setBackend('cpu');
      tf.removeBackend('tensorflow');
    }
  });

  it('recognises exactly the documented names', () => {
    for (const name of ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm-blas', 'wasm', 'cpu']) assert.ok(isBackendRequest(name), name);
    for (const name of ['webgl', 'WASM', 'gpu', '']) assert.ok(!isBackendRequest(name), name);
  });
});

describe('backend: kernel fixes are installed once', () => {
  let previous: string | undefined;
  before(() => {
    previous = tf.getBackend();
  });
  after(async () => {
    await tf.setBackend(previous ?? 'cpu');
  });

  it('a second install changes nothing and keeps the same kernels', async () => {
    const { installWasmKernelFixes, installCpuKernelFixes } = await import('../../src/backend/kernels/install.js');
    await initBackend('wasm');
    await initBackend('cpu');
    const names = ['BatchMatMul', '_FusedMatMul', 'UnsortedSegmentSum', 'GatherV2', 'Einsum'];
    const before = names.map((n) => tf.getKernel(n, 'wasm').kernelFunc);
    const cpuBefore = tf.getKernel('UnsortedSegmentSum', 'cpu').kernelFunc;
    assert.deepEqual(installWasmKernelFixes(), []);
    assert.deepEqual(installCpuKernelFixes(), []);
    names.forEach((n, i) => assert.equal(tf.getKernel(n, 'wasm').kernelFunc, before[i], n));
    assert.equal(tf.getKernel('UnsortedSegmentSum', 'cpu').kernelFunc, cpuBefore);
  });
});
