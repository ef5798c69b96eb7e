// `compile --emit plan`: golden text for the card's one-liner and every stdlib file, facts of the
// JSON form (precompute passes, what the head computes, state, backend), and the promise that
// printing a plan never loads TensorFlow.js.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileFile } from '../../src/compile.js';
import { executionPlan } from '../../src/lower/plan.js';
import { torchAllocatorNote } from '../../src/util/malloc-env.js';
import { nativeLevelNote } from '../../src/backend/native-kernels/level.js';
import { expectGolden, repoRoot } from '../helpers/golden.js';
import { runCli } from '../cli/helpers/cli.js';
import { objective } from './helpers.js';

const CARD = 'group important = tfidf(top 30%); loss = λ·max(groups) + (1-λ)·ce';

describe('lowering: execution plan', () => {
  it('golden: the card one-liner', () => {
    expectGolden('lower/plan/card.txt', executionPlan(objective(CARD)).text);
  });

  const dir = join(repoRoot, 'stdlib');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.sftgo'))) {
    it(`golden: stdlib/${f}`, () => {
      const r = compileFile(join('stdlib', f), {});
      assert.ok(r.objective, f);
      expectGolden(`lower/plan/${f.replace(/\.sftgo$/, '.txt')}`, executionPlan(r.objective).text);
    });
  }

  it('the head computes the entropy only when the objective reads it', () => {
    assert.deepEqual(executionPlan(objective('loss = mean(ce)')).json.head.computes, ['ce']);
    assert.deepEqual(executionPlan(objective('loss = mean(ce * entropy)')).json.head.computes, ['ce', 'entropy']);
    const selector = executionPlan(objective('group e = entropy(top 20%)\nloss = max(groups)')).json;
    assert.deepEqual(selector.head.computes, ['ce', 'entropy']);
    assert.ok(selector.step.hostReads.some((r) => r.startsWith('entropy')));
  });

  it('CSE: a repeated subexpression is one device node', () => {
    const plan = executionPlan(objective('loss = mean(ce) * mean(ce) + mean(ce)')).json;
    assert.equal(plan.step.device.filter((d) => d.op === 'mean %0').length, 1);
  });

  it('precompute: static scorers and the reference ce; state for dro; the backend named in train', () => {
    const p = executionPlan(objective('group a = tfidf(top 30%)\ngroup b = excess_loss(top 10% per batch)\nloss = dro(groups, step = 0.1)\ntrain { backend = "wasm" }\nreference { path = "self" }')).json;
    assert.deepEqual(p.precompute.scorers.map((s) => s.key), ['tfidf(smooth = true, sublinear = false)']);
    assert.equal(p.precompute.referenceCe, true);
    assert.equal(p.step.state.length, 1);
    assert.equal(p.backend.request, 'wasm');
    assert.match(executionPlan(objective('loss = mean(ce)')).text, /auto: first of tensorflow-gpu, tensorflow, wasm-blas, wasm, cpu that loads/);
  });

  it("says how the torch engine's CPU children would allocate in this environment, and that the user's choice wins", () => {
    const ours = torchAllocatorNote({});
    assert.match(ours, /glibc malloc keeps freed memory \(MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_/);
    assert.match(executionPlan(objective('loss = mean(ce)'), { torchAllocator: ours }).text, /\n {2}allocator \(torch on the CPU\): glibc malloc keeps freed memory/);
    for (const env of [{ MALLOC_MMAP_THRESHOLD_: '65536' }, { GLIBC_TUNABLES: 'glibc.malloc.trim_threshold=0' }, { LD_PRELOAD: 'libtcmalloc_minimal.so.4' }]) {
      assert.match(torchAllocatorNote(env), /as your environment sets it/, JSON.stringify(env));
    }
    assert.doesNotMatch(executionPlan(objective('loss = mean(ce)')).text, /allocator/, 'nothing said when not asked');
  });

  it('says which element-wise kernels a wasm-blas run would take here, and why not the native ones', () => {
    const v4 = new Set(['avx2', 'fma', 'bmi1', 'bmi2', 'f16c', 'movbe', 'avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl']);
    const note = nativeLevelNote(v4, {});
    // The platform decides too: on Linux x86-64 the AVX-512 build, elsewhere the reason.
    if (process.platform === 'linux' && process.arch === 'x64') assert.match(note, /^x86-64-v4 \(AVX-512\) build/);
    else assert.match(note, /^WebAssembly SIMD \(no native build: built for Linux on x86-64 only/);
    assert.equal(nativeLevelNote(v4, { SFTGOC_NATIVE_KERNELS: 'off' }), 'WebAssembly SIMD (no native build: SFTGOC_NATIVE_KERNELS=off)');
    assert.match(executionPlan(objective('loss = mean(ce)'), { elementKernels: note }).text, /\n {2}element-wise kernels \(wasm-blas\): /);
    assert.doesNotMatch(executionPlan(objective('loss = mean(ce)')).text, /element-wise/, 'nothing said when not asked');
  });

  describe('the binary', function () {
    this.timeout(30_000);
    let tmp: string;
    before(() => {
      tmp = mkdtempSync(join(tmpdir(), 'sftgoc-plan-'));
    });
    after(() => rmSync(tmp, { recursive: true, force: true }));

    it('compile --emit plan does not load TensorFlow.js', () => {
      const file = join(tmp, 'card.sftgo');
      writeFileSync(file, `${CARD}\n`);
      const log = join(tmp, 'imports.log');
      writeFileSync(log, '');
      const recorder = pathToFileURL(join(repoRoot, 'test', 'cli', 'fixtures', 'record-imports.mjs')).href;
      const r = runCli(['compile', file, '--emit', 'plan'], { nodeArgs: ['--import', recorder], env: { SFTGOC_IMPORT_LOG: log } });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^plan card\n/);
      const loaded = readFileSync(log, 'utf8').split('\n');
      assert.ok(loaded.some((l) => l.includes('/src/lower/plan')), 'the recorder saw the plan module');
      assert.deepEqual(loaded.filter((l) => l.includes('@tensorflow')).slice(0, 5), []);
    });
  });
});
