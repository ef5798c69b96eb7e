// One and two OpenBLAS threads on the product shapes of the toy and small steps, each in a tight
// loop (operands hot in cache), interleaved 1, 2, 1, 2: whether the second core pays off at these
// sizes. Not a unit test; OpenBLAS only (openblas_set_num_threads).
//   npx tsx bench/blas-threads.ts
import { findBlas } from '../src/backend/blas/library.js';

// The binding's own switch to one thread for small products (library.ts) would fight the counts set here.
process.env['SFTGOC_BLAS_ONE_THREAD_MNK'] = '0';
const found = await findBlas();
if (!found.ok) throw new Error(found.reason);
const koffiName = 'koffi';
const koffi = ((await import(koffiName)) as { default: { load(path: string): { func(p: string): (...a: unknown[]) => unknown } } }).default;
const setThreads = koffi.load(found.blas.library).func('void openblas_set_num_threads(int)');
const sgemm = found.blas.sgemm;

// [label, transA, transB, m, n, k]: forward, gradient and head products of the two configurations.
const shapes: [string, boolean, boolean, number, number, number][] = [
  ['toy qkv forward', false, false, 512, 384, 128], ['toy mlp up', false, false, 512, 512, 128], ['toy mlp down', false, false, 512, 128, 512],
  ['toy dW mlp', true, false, 128, 512, 512], ['toy dX mlp', false, true, 512, 128, 512], ['toy head', false, true, 512, 1024, 128],
  ['small qkv forward', false, false, 1024, 768, 256], ['small mlp up', false, false, 1024, 1024, 256], ['small head', false, true, 1024, 8192, 256],
];
for (const [name, ta, tb, m, n, k] of shapes) {
  const a = new Float32Array(m * k).fill(0.01);
  const b = new Float32Array(k * n).fill(0.02);
  const c = new Float32Array(m * n);
  const cells: string[] = [];
  for (const threads of [1, 2, 1, 2]) {
    setThreads(threads);
    const call = (): void => sgemm(ta, tb, m, n, k, 1, a, ta ? m : k, b, tb ? k : n, 0, c, n);
    for (let i = 0; i < 5; i++) call();
    const reps = Math.max(5, Math.floor(2e9 / (2 * m * n * k)));
    const start = performance.now();
    for (let i = 0; i < reps; i++) call();
    const ms = (performance.now() - start) / reps;
    cells.push(`${threads} thread${threads === 1 ? ' ' : 's'} ${ms.toFixed(3)} ms ${((2 * m * n * k) / ms / 1e6).toFixed(0)} GFLOP/s`);
  }
  console.log(`${name.padEnd(18)} ${cells.join('   ')}`);
}
