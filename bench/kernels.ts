// Micro-benchmark for the wasm kernel fixes in src/backend/kernels (not a unit test).
//   npx tsx bench/kernels.ts
// Prints matMul GFLOP/s for plain, transposeA and transposeB with tfjs's stock wasm kernels, then
// with our fixes installed, then through the system BLAS (wasm-blas) when there is one, and the time of one embedding (gather) gradient on each backend.
import * as tf from '@tensorflow/tfjs';
import { findBlas } from '../src/backend/blas/library.js';
import { initBackend } from '../src/backend/index.js';
import { wasmBinaryDirectory } from '../src/backend/wasm.js';

const M = 512;
const K = 128;
const N = 512;

function gflops(transposeA: boolean, transposeB: boolean, repeats = 20): number {
  const a = tf.randomNormal(transposeA ? [K, M] : [M, K]);
  const b = tf.randomNormal(transposeB ? [N, K] : [K, N]);
  tf.matMul(a, b, transposeA, transposeB).dispose(); // warm-up
  const start = performance.now();
  for (let i = 0; i < repeats; i++) tf.matMul(a, b, transposeA, transposeB).dataSync();
  const seconds = (performance.now() - start) / 1000;
  tf.dispose([a, b]);
  return (2 * M * K * N * repeats) / seconds / 1e9;
}

function matMulRow(label: string): void {
  const cells = [gflops(false, false), gflops(true, false), gflops(false, true), gflops(true, true)];
  console.log(`${label.padEnd(22)} ${cells.map((g) => g.toFixed(1).padStart(8)).join(' ')}`);
}

/** Seconds for one gradient of sum(gather(table, ids)²) with a [vocab, width] table and `tokens` ids. */
function embeddingGradSeconds(vocab: number, width: number, tokens: number, repeats = 3): number {
  const table = tf.randomNormal([vocab, width]);
  const ids = tf.randomUniform([tokens], 0, vocab, 'int32');
  const grad = tf.grad((t: tf.Tensor) => tf.square(tf.gather(t, ids)).sum());
  grad(table).dispose(); // warm-up
  const start = performance.now();
  for (let i = 0; i < repeats; i++) grad(table).dataSync();
  tf.dispose([table, ids]);
  return (performance.now() - start) / 1000 / repeats;
}

async function main(): Promise<void> {
  // Stock wasm kernels first: load the package and initialise it ourselves, without the fixes.
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(wasmBinaryDirectory());
  await tf.setBackend('wasm');
  console.log(`matMul ${M}x${K}x${N}, GFLOP/s      plain  transA  transB    both`);
  matMulRow('wasm stock');
  await initBackend('wasm');
  matMulRow('wasm fixed');
  const blas = await findBlas();
  if (blas.ok) {
    await initBackend('wasm-blas');
    matMulRow('wasm-blas');
    await initBackend('wasm');
  } else {
    console.log(`wasm-blas: not run (${blas.reason})`);
  }

  console.log('\nembedding gradient (gather backward), seconds per step');
  const big = { vocab: 32000, width: 256, tokens: 2048 };
  console.log(`wasm fixed, V=${big.vocab} d=${big.width} tokens=${big.tokens}: ${embeddingGradSeconds(big.vocab, big.width, big.tokens).toFixed(4)}`);
  await tf.setBackend('cpu');
  // The stock cpu kernel costs O(vocab · tokens · width) (one masked sum per segment): keep it small.
  const small = { vocab: 256, width: 64, tokens: 512 };
  console.log(`cpu stock,  V=${small.vocab} d=${small.width} tokens=${small.tokens}: ${embeddingGradSeconds(small.vocab, small.width, small.tokens, 1).toFixed(4)}`);
  await initBackend('cpu');
  console.log(`cpu fixed,  V=${small.vocab} d=${small.width} tokens=${small.tokens}: ${embeddingGradSeconds(small.vocab, small.width, small.tokens).toFixed(4)}`);
  console.log(`cpu fixed,  V=${big.vocab} d=${big.width} tokens=${big.tokens}: ${embeddingGradSeconds(big.vocab, big.width, big.tokens).toFixed(4)}`);
}

await main();
