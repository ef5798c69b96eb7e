// The OpenBLAS kernel choice (src/backend/blas/coretype.ts): a table of (CPU flags, environment)
// cases for the pure choice, the judgement of what the library reports, and, with a stand-in for
// koffi, that the choice is in the environment before the library loads, that a kernel set whose
// product disagrees with loops is not used (and not passed on), and what a child process inherits.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bestCoreForFlags, chooseCoreType, judgeReportedCore, readCpuFlags } from '../../src/backend/blas/coretype.js';
import { childBlasEnv } from '../../src/backend/blas/child-env.js';
import { findBlas } from '../../src/backend/blas/library.js';

const AVX512 = ['avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512dq', 'avx512vl', 'avx512cd'];
const flags = (...names: string[]): Set<string> => new Set(names);
const SAPPHIRE = flags(...AVX512, 'avx512_bf16', 'amx_bf16', 'amx_tile');
const SKYLAKE = flags(...AVX512);
const ZEN2 = flags('avx', 'avx2', 'fma');

describe('backend: OpenBLAS kernel choice', () => {
  const cases: Array<{ label: string; flags: Set<string>; env: NodeJS.ProcessEnv; set: string | undefined; source: string }> = [
    { label: 'AVX512-BF16 CPU, nothing set: Cooperlake from the flags', flags: SAPPHIRE, env: {}, set: 'Cooperlake', source: 'cpu-flags' },
    { label: 'AVX-512 without BF16: SkylakeX', flags: SKYLAKE, env: {}, set: 'SkylakeX', source: 'cpu-flags' },
    { label: 'AVX2 + FMA only: Haswell', flags: ZEN2, env: {}, set: 'Haswell', source: 'cpu-flags' },
    { label: 'AVX only: Sandybridge', flags: flags('avx'), env: {}, set: 'Sandybridge', source: 'cpu-flags' },
    { label: 'AVX-512F alone (no BW/DQ/VL) is not SkylakeX', flags: flags('avx', 'avx2', 'fma', 'avx512f'), env: {}, set: 'Haswell', source: 'cpu-flags' },
    { label: 'no flags known (not Linux, not x86): nothing set', flags: flags(), env: {}, set: undefined, source: 'none' },
    { label: "the user's OPENBLAS_CORETYPE is kept", flags: SAPPHIRE, env: { OPENBLAS_CORETYPE: 'Haswell' }, set: 'Haswell', source: 'OPENBLAS_CORETYPE' },
    { label: 'SFTGOC_BLAS_CORETYPE names a set: it wins over OPENBLAS_CORETYPE', flags: SAPPHIRE, env: { OPENBLAS_CORETYPE: 'Haswell', SFTGOC_BLAS_CORETYPE: 'SkylakeX' }, set: 'SkylakeX', source: 'SFTGOC_BLAS_CORETYPE' },
    { label: 'SFTGOC_BLAS_CORETYPE=auto chooses from the flags over OPENBLAS_CORETYPE', flags: SAPPHIRE, env: { OPENBLAS_CORETYPE: 'Haswell', SFTGOC_BLAS_CORETYPE: 'auto' }, set: 'Cooperlake', source: 'cpu-flags' },
    { label: 'SFTGOC_BLAS_CORETYPE=off sets nothing', flags: SAPPHIRE, env: { SFTGOC_BLAS_CORETYPE: 'off' }, set: undefined, source: 'off' },
    { label: "SFTGOC_BLAS_CORETYPE=off leaves the user's OPENBLAS_CORETYPE alone", flags: SAPPHIRE, env: { SFTGOC_BLAS_CORETYPE: 'off', OPENBLAS_CORETYPE: 'Zen' }, set: undefined, source: 'off' },
    { label: 'an empty OPENBLAS_CORETYPE counts as unset', flags: SKYLAKE, env: { OPENBLAS_CORETYPE: '' }, set: 'SkylakeX', source: 'cpu-flags' },
  ];
  for (const c of cases) {
    it(c.label, () => {
      const choice = chooseCoreType(c.flags, c.env);
      assert.equal(choice.set, c.set);
      assert.equal(choice.source, c.source);
      assert.ok(choice.note.length > 0);
    });
  }

  it("a kept OPENBLAS_CORETYPE weaker than the CPU says what the CPU supports and how to take it", () => {
    assert.match(chooseCoreType(SAPPHIRE, { OPENBLAS_CORETYPE: 'Prescott' }).note, /supports Cooperlake.*SFTGOC_BLAS_CORETYPE=auto/);
    assert.doesNotMatch(chooseCoreType(ZEN2, { OPENBLAS_CORETYPE: 'Haswell' }).note, /supports/);
  });

  it('judges what the loaded library reports', () => {
    const chosen = chooseCoreType(SAPPHIRE, {});
    assert.equal(judgeReportedCore(chosen, 'Cooperlake', SAPPHIRE), undefined);
    assert.match(judgeReportedCore(chosen, 'Prescott', SAPPHIRE) ?? '', /runs Prescott kernels, not the Cooperlake asked for/);
    const off = chooseCoreType(SAPPHIRE, { SFTGOC_BLAS_CORETYPE: 'off' });
    assert.match(judgeReportedCore(off, 'Prescott', SAPPHIRE) ?? '', /fell back to Prescott kernels on a CPU that supports Cooperlake/);
    assert.equal(judgeReportedCore(off, 'Cooperlake', SAPPHIRE), undefined);
    assert.match(judgeReportedCore(chosen, undefined, SAPPHIRE) ?? '', /not OpenBLAS/);
  });

  it('reads the flags line of a cpuinfo file, and nothing from a missing one', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sftgoc-cpuinfo-'));
    try {
      const file = path.join(dir, 'cpuinfo');
      writeFileSync(file, 'processor\t: 0\nmodel name\t: X\nflags\t\t: fpu avx avx2 fma avx512f\nbugs\t\t:\n');
      const read = readCpuFlags(file);
      assert.ok(read.has('avx512f') && read.has('fma') && !read.has('bugs'));
      assert.equal(bestCoreForFlags(read), 'Haswell');
      assert.equal(readCpuFlags(path.join(dir, 'missing')).size, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * A stand-in for koffi whose "library" records OPENBLAS_CORETYPE when it is loaded and reports it
 * as its core (or `reportAs`, a library that ignores the variable); its sgemm is right, or (broken) ignores every term past the 8th of the inner sum,
 * which a 3×4·4×2 product cannot see and a larger one does.
 */
function fakeKoffi(broken: boolean, seen: Array<string | undefined>, threadCalls?: number[], reportAs?: string): () => Promise<unknown> {
  return async () => ({
    load: () => {
      const core = process.env['OPENBLAS_CORETYPE'];
      seen.push(core);
      return {
        func: (definition: string) => {
          if (definition.includes('cblas_sgemm')) {
            return (_o: number, ta: number, tb: number, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number, b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number) => {
              for (let i = 0; i < m; i++) {
                for (let j = 0; j < n; j++) {
                  let acc = 0;
                  for (let p = 0; p < (broken ? Math.min(k, 8) : k); p++) {
                    acc += (ta === 112 ? a[p * lda + i]! : a[i * lda + p]!) * (tb === 112 ? b[j * ldb + p]! : b[p * ldb + j]!);
                  }
                  c[i * ldc + j] = alpha * acc + beta * c[i * ldc + j]!;
                }
              }
            };
          }
          if (definition.includes('openblas_get_corename')) return () => reportAs ?? core ?? 'Prescott';
          if (threadCalls !== undefined && definition.includes('openblas_get_num_threads')) return () => 2;
          if (threadCalls !== undefined && definition.includes('openblas_set_num_threads')) return (n: number) => void threadCalls.push(n);
          throw new Error(`no ${definition}`);
        },
      };
    },
  });
}

describe('backend: the kernel choice around loading the BLAS', () => {
  const saved = { core: process.env['OPENBLAS_CORETYPE'], ours: process.env['SFTGOC_BLAS_CORETYPE'] };
  const restore = (key: string, value: string | undefined) => {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  };
  beforeEach(() => {
    delete process.env['OPENBLAS_CORETYPE'];
    delete process.env['SFTGOC_BLAS_CORETYPE'];
  });
  afterEach(() => {
    restore('OPENBLAS_CORETYPE', saved.core);
    restore('SFTGOC_BLAS_CORETYPE', saved.ours);
  });

  it('sets OPENBLAS_CORETYPE before the library loads and reports the kernels it runs', async () => {
    const seen: Array<string | undefined> = [];
    const outcome = await findBlas({ candidates: ['libfake.so'], importKoffi: fakeKoffi(false, seen), cpuFlags: SAPPHIRE });
    assert.deepEqual(seen, ['Cooperlake']);
    assert.ok(outcome.ok);
    assert.equal(outcome.blas.kernels, 'Cooperlake');
    assert.match(outcome.blas.kernelNotes.join(' '), /Cooperlake kernels \(chosen by sftgoc/);
    assert.equal(process.env['OPENBLAS_CORETYPE'], 'Cooperlake', 'children spawned later inherit the checked choice');
  });

  it('a kernel set whose product disagrees with loops is not used, says so, and is taken back from the environment', async () => {
    const seen: Array<string | undefined> = [];
    const outcome = await findBlas({ candidates: ['libfake.so'], importKoffi: fakeKoffi(true, seen), cpuFlags: SAPPHIRE });
    assert.deepEqual(seen, ['Cooperlake']);
    assert.ok(!outcome.ok);
    assert.match(outcome.reason, /with Cooperlake kernels .* failed a 67×131·131×45 check against loops .*fall back to wasm.*SFTGOC_BLAS_CORETYPE=off/);
    assert.equal(process.env['OPENBLAS_CORETYPE'], undefined);
  });

  it('runs products below ONE_THREAD_BELOW_MNK on one thread and larger ones on all, switching only on a change', async () => {
    const calls: number[] = [];
    const outcome = await findBlas({ candidates: ['libfake.so'], importKoffi: fakeKoffi(false, [], calls), cpuFlags: SAPPHIRE });
    assert.ok(outcome.ok);
    assert.match(outcome.blas.description, /2 threads/, 'the count before any product switched it');
    calls.length = 0;
    const small = 64; // 64³ < 2²¹
    const big = 160; // 160³ > 2²¹
    const run = (n: number) => outcome.blas.sgemm(false, false, n, n, n, 1, new Float32Array(n * n), n, new Float32Array(n * n), n, 0, new Float32Array(n * n), n);
    for (const n of [big, big, small, small, big]) run(n);
    assert.deepEqual(calls, [2, 1, 2]);
  });

  it('with SFTGOC_BLAS_CORETYPE=off the library loads under the environment as it was', async () => {
    process.env['SFTGOC_BLAS_CORETYPE'] = 'off';
    const seen: Array<string | undefined> = [];
    const outcome = await findBlas({ candidates: ['libfake.so'], importKoffi: fakeKoffi(false, seen), cpuFlags: SAPPHIRE });
    assert.deepEqual(seen, [undefined]);
    assert.ok(outcome.ok);
    assert.match(outcome.blas.kernelNotes.join(' '), /fell back to Prescott kernels on a CPU that supports Cooperlake/);
    assert.match(outcome.blas.kernelProblem ?? '', /fell back to Prescott/, 'a fallback is a problem to print, not only a note');
  });

  it('a named set the library does not run (SFTGOC_BLAS_CORETYPE=bogus) is a problem to print, and the run goes on', async () => {
    process.env['SFTGOC_BLAS_CORETYPE'] = 'bogus';
    const seen: Array<string | undefined> = [];
    const outcome = await findBlas({ candidates: ['libfake.so'], importKoffi: fakeKoffi(false, seen, undefined, 'Cooperlake'), cpuFlags: SAPPHIRE });
    assert.deepEqual(seen, ['bogus']);
    assert.ok(outcome.ok);
    assert.equal(outcome.blas.kernels, 'Cooperlake');
    assert.match(outcome.blas.kernelProblem ?? '', /OpenBLAS runs Cooperlake kernels, not the bogus asked for/);
  });

  it('the chosen set, run as chosen, is no problem', async () => {
    const outcome = await findBlas({ candidates: ['libfake.so'], importKoffi: fakeKoffi(false, []), cpuFlags: SAPPHIRE });
    assert.ok(outcome.ok);
    assert.equal(outcome.blas.kernelProblem, undefined);
  });
});

describe('backend: the BLAS environment of the torch engine\'s children', () => {
  const saved = process.env['OPENBLAS_CORETYPE'];
  afterEach(() => {
    if (saved === undefined) delete process.env['OPENBLAS_CORETYPE'];
    else process.env['OPENBLAS_CORETYPE'] = saved;
  });

  it('carries the kernel set checked here, and one BLAS thread per core for each process', async () => {
    delete process.env['OPENBLAS_CORETYPE'];
    const find = () => findBlas({ candidates: ['libfake.so'], importKoffi: fakeKoffi(false, []), cpuFlags: SAPPHIRE });
    const child = await childBlasEnv({ processes: 2, cores: 4, base: { PATH: '/bin' }, find });
    assert.equal(child.env['OPENBLAS_CORETYPE'], 'Cooperlake');
    assert.equal(child.env['OPENBLAS_NUM_THREADS'], '2');
    assert.equal(child.env['PATH'], '/bin');
    assert.match(child.note, /Cooperlake kernels.*checked here/);
    // What the spawned process sees.
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(process.env.OPENBLAS_CORETYPE ?? "unset")'], { env: child.env, encoding: 'utf8' });
    assert.equal(r.stdout, 'Cooperlake');
  });

  it('one process with one intra-op thread: the BLAS gets every core, set beside OMP_NUM_THREADS (OpenBLAS would follow it)', async () => {
    const find = () => findBlas({ candidates: ['libfake.so'], importKoffi: fakeKoffi(false, []), cpuFlags: SAPPHIRE });
    const child = await childBlasEnv({ processes: 1, cores: 2, intraOpThreads: 1, base: {}, find });
    assert.equal(child.env['OMP_NUM_THREADS'], '1');
    assert.equal(child.env['OPENBLAS_NUM_THREADS'], '2');
    const user = await childBlasEnv({ processes: 1, cores: 2, intraOpThreads: 1, base: { OMP_NUM_THREADS: '2' }, find });
    assert.equal(user.env['OMP_NUM_THREADS'], '2');
  });

  it("tells the child's glibc malloc to keep freed memory, unless the user chose the allocator", async () => {
    const find = () => findBlas({ candidates: ['libfake.so'], importKoffi: fakeKoffi(false, []), cpuFlags: SAPPHIRE });
    const child = await childBlasEnv({ processes: 1, cores: 2, base: {}, find });
    assert.equal(child.env['MALLOC_MMAP_THRESHOLD_'], '4294967296');
    assert.equal(child.env['MALLOC_TRIM_THRESHOLD_'], '4294967296');
    assert.match(child.note, /allocator: glibc malloc keeps freed memory/);
    for (const base of [{ MALLOC_TRIM_THRESHOLD_: '131072' }, { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=65536' }, { LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2' }]) {
      const user = await childBlasEnv({ processes: 1, cores: 2, base, find });
      assert.equal(user.env['MALLOC_MMAP_THRESHOLD_'], undefined, JSON.stringify(base));
      assert.match(user.note, /allocator: as your environment sets it/);
      for (const [k, v] of Object.entries(base)) assert.equal(user.env[k], v);
    }
  });

  it("does not carry a kernel set that failed the check, and keeps the user's thread count", async () => {
    delete process.env['OPENBLAS_CORETYPE'];
    const find = () => findBlas({ candidates: ['libfake.so'], importKoffi: fakeKoffi(true, []), cpuFlags: SAPPHIRE });
    const child = await childBlasEnv({ processes: 2, cores: 4, base: { OPENBLAS_NUM_THREADS: '3' }, find });
    assert.equal(child.env['OPENBLAS_CORETYPE'], undefined);
    assert.equal(child.env['OPENBLAS_NUM_THREADS'], '3');
    assert.match(child.note, /OpenBLAS's own detection \(not checked here: .*failed/);
  });
});
