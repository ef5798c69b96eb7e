// The native GPT-2 and llama trunks (src/model/native/) against the tfjs ops of gpt2.ts and llama.ts,
// which compute the same networks op by op with tfjs's own gradients: the hidden states and every weight's gradient of
// Σ hidden ⊙ R for a fixed random R. The trunk's math runs everywhere with plain-loop products; the
// op itself (heap views, workspaces, the tape) where a system BLAS is found.
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { sgemmBatchByLoop, type Sgemm } from '../../src/backend/blas/library.js';
import { fastExp } from '../../src/model/native/fast-exp.js';
import { jsArena } from '../../src/backend/heap/arena.js';
import { nativeHidden, runTrunk, trunkNames, type NativeArchitecture } from '../../src/model/native/architecture.js';
import { LLAMA_NATIVE } from '../../src/model/native/llama-native.js';
import { WorkspacePool, type ArenaWorkspace } from '../../src/backend/heap/workspace.js';
import { jsRowOps, type TrunkKernels } from '../../src/model/native/row-ops.js';
import { erfc, fillRows } from '../../src/model/native/rows.js';
import { setNativeKernels } from '../../src/backend/simd/module.js';
import { GPT2_NATIVE } from '../../src/model/native/gpt2-native.js';
import { nativeTrunkKernels } from '../../src/model/native/trunk-op.js';
import { createModel } from '../../src/model/init.js';
import type { CausalLM, ModelConfig } from '../../src/model/types.js';
import { useCpuBackend } from './helpers.js';
import { plainSgemm } from '../../src/backend/blas/plain-sgemm.js';
import { assertClose, BLAS, noteWhenBlasMissing, seeded, useBackend } from '../backend/helpers.js';

const PLAIN: TrunkKernels = { sgemm: plainSgemm, sgemmBatch: sgemmBatchByLoop(plainSgemm), ops: jsRowOps };

interface Shape {
  arch: 'gpt2' | 'llama';
  batch: number;
  seq: number;
  width: number;
  heads: number;
  /** llama: grouped-query attention when below heads. */
  kvHeads?: number;
  layers: number;
  vocab: number;
  /** gpt2's activation_function. */
  activation?: 'gelu_new' | 'gelu';
  /** llama: a separate lm_head (not part of the trunk). */
  untied?: boolean;
}

function configOf(s: Shape): ModelConfig {
  const common = {
    vocabSize: s.vocab, hiddenSize: s.width, numLayers: s.layers, numHeads: s.heads, intermediateSize: 4 * s.width + 4,
    maxPositions: s.seq + 3, normEps: 1e-5,
  };
  return s.arch === 'gpt2'
    ? { ...common, architecture: 'gpt2', numKvHeads: s.heads, tieWordEmbeddings: true, ropeTheta: 0, raw: { model_type: 'gpt2', activation_function: s.activation ?? 'gelu_new' } }
    : { ...common, architecture: 'llama', numKvHeads: s.kvHeads ?? s.heads, tieWordEmbeddings: s.untied !== true, ropeTheta: 10000, raw: { model_type: 'llama' } };
}

/** A model whose norm weights and biases are random too (the initialisation makes them 1 and 0). */
function randomModel(config: ModelConfig, seed: number): CausalLM {
  const model = createModel(config, seed);
  let i = 0;
  for (const [name, v] of model.params) {
    if (/ln_|bias|norm/.test(name)) v.assign(tf.tensor(seeded(v.size, seed * 100 + i++), v.shape).mul(0.5).add(name.endsWith('weight') ? 1 : 0));
  }
  return model;
}

function idsOf(s: Pick<Shape, 'batch' | 'seq' | 'vocab'>, seed: number): Int32Array {
  const r = seeded(s.batch * s.seq, seed);
  // Repeated ids on purpose: the embedding gradient must add, not overwrite.
  return Int32Array.from(r, (x) => Math.floor(((x + 2) / 4) * Math.min(s.vocab, 5)) % s.vocab);
}

/** The trunk's math for one architecture with JavaScript arrays and plain-loop products (no tfjs). */
interface TrunkMath {
  names: string[];
  run(weights: Float32Array[], ids: Int32Array, hidden: Float32Array, dOut: Float32Array, grads: Float32Array[]): void;
}

function mathOf<D, W extends ArenaWorkspace<D>, A>(arch: NativeArchitecture<D, W, A>, s: Shape, config: ModelConfig): TrunkMath {
  const dims = arch.dims(config, s.batch, s.seq);
  return {
    names: trunkNames(arch, s.layers),
    run: (w, ids, hidden, dOut, grads) => runTrunk(arch, dims, s.layers, w, ids, PLAIN, arch.makeWorkspace(dims, jsArena()), hidden, { dOut, grads }),
  };
}

const trunkMath = (s: Shape, config: ModelConfig): TrunkMath => (s.arch === 'gpt2' ? mathOf(GPT2_NATIVE, s, config) : mathOf(LLAMA_NATIVE, s, config));

const HIDDEN_TOL = { abs: 2e-5, rel: 2e-5 };
const GRAD_TOL = { abs: 5e-5, rel: 5e-4 };

const SHAPES: Shape[] = [
  { arch: 'gpt2', batch: 2, seq: 5, width: 8, heads: 2, layers: 2, vocab: 11, activation: 'gelu_new' },
  { arch: 'gpt2', batch: 1, seq: 1, width: 6, heads: 3, layers: 1, vocab: 4, activation: 'gelu_new' },
  { arch: 'gpt2', batch: 3, seq: 7, width: 12, heads: 4, layers: 1, vocab: 9, activation: 'gelu' },
  { arch: 'gpt2', batch: 2, seq: 9, width: 8, heads: 1, layers: 3, vocab: 7, activation: 'gelu' },
  { arch: 'llama', batch: 2, seq: 6, width: 16, heads: 4, kvHeads: 2, layers: 2, vocab: 13 },
  { arch: 'llama', batch: 1, seq: 1, width: 8, heads: 2, layers: 1, vocab: 5 },
  { arch: 'llama', batch: 3, seq: 5, width: 12, heads: 3, kvHeads: 1, layers: 1, vocab: 9, untied: true },
  // Long enough that the attention backward's score scratch (SCORES_BUDGET_FLOATS) holds one batch
  // row's blocks a pass: the passes, and grouped heads within them.
  { arch: 'gpt2', batch: 2, seq: 1100, width: 8, heads: 1, layers: 1, vocab: 7, activation: 'gelu_new' },
  { arch: 'llama', batch: 3, seq: 1030, width: 8, heads: 2, kvHeads: 1, layers: 1, vocab: 7 },
];

const label = (s: Shape): string =>
  `${s.arch}, batch ${s.batch}, seq ${s.seq}, width ${s.width}, ${s.heads} heads${s.kvHeads !== undefined ? ` (${s.kvHeads} kv)` : ''}, ${s.layers} layers`
  + (s.activation !== undefined ? `, ${s.activation}` : '') + (s.untied === true ? ', untied head' : '');

describe('model: native trunk math (plain-loop products) against the tfjs ops', () => {
  useCpuBackend();

  for (const [i, s] of SHAPES.entries()) {
    it(`hidden and every gradient: ${label(s)}`, () => {
      const config = configOf(s);
      const model = randomModel(config, 7 + i);
      const ids = idsOf(s, 3 + i);
      const r = seeded(s.batch * s.seq * s.width, 50 + i);
      const ref = tapeGrads(model, ids, s, r, false);
      const math = trunkMath(s, config);
      const weights = math.names.map((n) => Float32Array.from(model.params.get(n)!.dataSync()));
      const grads = math.names.map((n) => new Float32Array(model.params.get(n)!.size).fill(Number.NaN));
      const hidden = new Float32Array(s.batch * s.seq * s.width);
      math.run(weights, ids, hidden, r, grads);
      assertClose(hidden, ref.hidden, HIDDEN_TOL, 'hidden');
      math.names.forEach((n, k) => assertClose(grads[k]!, ref.grads.get(n)!, GRAD_TOL, `d ${n}`));
      model.dispose();
    });
  }

  it('an id outside the vocabulary is an error naming it, before anything is read', () => {
    for (const s of [SHAPES[0]!, SHAPES[4]!]) {
      const config = configOf(s);
      const model = createModel(config, 1);
      const math = trunkMath({ ...s, batch: 1, seq: 2 }, config);
      const weights = math.names.map((n) => Float32Array.from(model.params.get(n)!.dataSync()));
      const run = (): void => math.run(weights, Int32Array.from([1, s.vocab]), new Float32Array(2 * s.width), new Float32Array(2 * s.width), weights.map((w) => new Float32Array(w.length)));
      assert.throws(run, new RegExp(`token id ${s.vocab} at position 1 is outside the vocabulary \\[0, ${s.vocab}\\)`));
      model.dispose();
    }
  });
});

describe('model: bias rows', () => {
  it('fillRows sets every row to the bias, for row counts that are and are not powers of two, and nothing past them', () => {
    const width = 7;
    const bias = Float32Array.from({ length: width + 2 }, (_, i) => i + 1);  // longer than a row: only width values count
    for (const rows of [0, 1, 2, 3, 5, 8, 17, 512]) {
      const out = new Float32Array(rows * width + 3).fill(-1);
      fillRows(out, bias, rows, width);
      for (let r = 0; r < rows; r++) for (let i = 0; i < width; i++) assert.equal(out[r * width + i], i + 1, `rows ${rows}: [${r}, ${i}]`);
      assert.deepEqual([...out.subarray(rows * width)], [-1, -1, -1], `rows ${rows}: past the rows`);
    }
  });
});

describe('model: fast exp and erfc', () => {
  it('fastExp is within 2.5e-7 relative of Math.exp over [−87, 88], 0 far below, NaN for NaN', () => {
    for (let x = -87; x <= 88; x += 0.0137) {
      const e = Math.exp(x);
      assert.ok(Math.abs(fastExp(x) - e) <= 2.5e-7 * e, `x = ${x}: ${fastExp(x)} vs ${e}`);
    }
    assert.equal(Math.fround(fastExp(-1000)), 0);
    assert.equal(Math.fround(fastExp(1000)), Infinity);
    assert.equal(fastExp(0), 1);
    assert.ok(Number.isNaN(fastExp(Number.NaN)));
  });

  it('erfc matches the erf series (|x| < 2) and the continued fraction (|x| ≥ 2) within 1.2e-7 relative', () => {
    // erf x = 2/√π Σ (−1)ⁿ x^(2n+1) / (n!(2n+1)); erfc x = e^(−x²)/√π / (x + 1/2/(x + 1/(x + 3/2/(x + ...)))).
    const series = (x: number): number => {
      let term = x;
      let sum = x;
      for (let n = 1; n < 80; n++) {
        term *= (-x * x) / n;
        sum += term / (2 * n + 1);
      }
      return 1 - (2 / Math.sqrt(Math.PI)) * sum;
    };
    const fraction = (x: number): number => {
      let f = x;
      for (let n = 60; n >= 1; n--) f = x + n / 2 / f;
      return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
    };
    for (let x = -5; x <= 9; x += 0.01) {
      const expected = Math.abs(x) < 2 ? series(x) : x > 0 ? fraction(x) : 2 - fraction(-x);
      assert.ok(Math.abs(erfc(x) - expected) <= 1.2e-7 * expected + 1e-300, `x = ${x}: ${erfc(x)} vs ${expected}`);
    }
  });
});

/**
 * hidden and the gradient of Σ hidden ⊙ R for every weight, through model.hidden with the native
 * trunk on or off (off: tfjs's ops and tape, the reference).
 */
function tapeGrads(model: CausalLM, ids: Int32Array, s: Shape, r: Float32Array, native: boolean): { hidden: Float32Array; grads: Map<string, Float32Array> } {
  setNativeKernels(native);
  try {
    assert.equal(nativeTrunkKernels() !== undefined, native, `the native trunk is ${native ? 'not ' : ''}in use`);
    const idT = tf.tensor2d(ids, [s.batch, s.seq], 'int32');
    let hidden = new Float32Array();
    const { value, grads } = tf.variableGrads(() => {
      const h = model.hidden(idT);
      hidden = Float32Array.from(h.dataSync());
      return tf.sum(tf.mul(h, tf.tensor3d(r, h.shape)));
    });
    const named = new Map<string, Float32Array>();
    // Weights off the trunk (an untied lm_head) have no gradient here.
    for (const [name, v] of model.params) if (grads[v.name] !== undefined) named.set(name, Float32Array.from(grads[v.name]!.dataSync()));
    tf.dispose([idT, value, ...Object.values(grads)]);
    return { hidden, grads: named };
  } finally {
    setNativeKernels(true);
  }
}

function assertSame(got: { hidden: Float32Array; grads: Map<string, Float32Array> }, ref: { hidden: Float32Array; grads: Map<string, Float32Array> }): void {
  assertClose(got.hidden, ref.hidden, HIDDEN_TOL, 'hidden');
  for (const [name, expected] of ref.grads) assertClose(got.grads.get(name)!, expected, GRAD_TOL, `d ${name}`);
}

describe('model: native trunk op (wasm-blas: BLAS products, SIMD row kernels, heap workspaces)', () => {
  noteWhenBlasMissing();
  if (!BLAS.ok) return;
  useBackend('wasm-blas');

  for (const [i, s] of SHAPES.entries()) {
    it(`matches the tfjs ops on the same backend: ${label(s)}`, () => {
      const model = randomModel(configOf(s), 20 + i);
      const ids = idsOf(s, 30 + i);
      const r = seeded(s.batch * s.seq * s.width, 40 + i);
      const ref = tapeGrads(model, ids, s, r, false);
      assertSame(tapeGrads(model, ids, s, r, true), ref);
      // Again, on the reused workspace, after an evaluation forward (no tape) of another shape.
      tf.tidy(() => model.hidden(tf.tensor2d(idsOf({ ...s, batch: s.batch + 1 }, 9), [s.batch + 1, s.seq], 'int32')).dataSync());
      assertSame(tapeGrads(model, ids, s, r, true), ref);
      model.dispose();
    });
  }

  it('two forwards on one tape (gradient accumulation inside one loss) each get their own workspace', () => {
    const s = SHAPES[0]!;
    const model = randomModel(configOf(s), 3);
    const a = tf.tensor2d(idsOf(s, 1), [s.batch, s.seq], 'int32');
    const b = tf.tensor2d(idsOf(s, 2), [s.batch, s.seq], 'int32');
    const r = tf.tensor3d(seeded(s.batch * s.seq * s.width, 5), [s.batch, s.seq, s.width]);
    const run = (native: boolean): Map<string, Float32Array> => {
      setNativeKernels(native);
      const { value, grads } = tf.variableGrads(() => tf.add(tf.sum(tf.mul(model.hidden(a), r)), tf.sum(tf.square(model.hidden(b)))));
      const named = new Map([...model.params].map(([n, v]) => [n, Float32Array.from(grads[v.name]!.dataSync())]));
      tf.dispose([value, ...Object.values(grads)]);
      setNativeKernels(true);
      return named;
    };
    const ref = run(false);
    const got = run(true);
    for (const [name, expected] of ref) assertClose(got.get(name)!, expected, GRAD_TOL, `d ${name}`);
    tf.dispose([a, b, r]);
    model.dispose();
  });

  it('an id outside the vocabulary through the op: the error, and no tensor or heap block left behind', () => {
    const s = SHAPES[0]!;
    const model = randomModel(configOf(s), 2);
    const ids = tf.tensor2d([[1, s.vocab]], [1, 2], 'int32');
    // The backend's own count of data ids: an output allocated but never wrapped in a tensor shows there.
    const dataIds = (): number => (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();
    const before = { tensors: tf.memory().numTensors, data: dataIds() };
    assert.throws(() => tf.tidy(() => model.hidden(ids)), /token id 11 at position 1 is outside the vocabulary/);
    assert.deepEqual({ tensors: tf.memory().numTensors, data: dataIds() }, before);
    ids.dispose();
    model.dispose();
  });

  it('a workspace the wasm heap cannot hold is refused up front (undefined: the model runs its tfjs ops)', () => {
    const s: Shape = { arch: 'gpt2', batch: 64, seq: 1024, width: 16, heads: 16, layers: 1, vocab: 5, activation: 'gelu_new' };
    const config = { ...configOf(s), maxPositions: 1024 };
    const model = createModel(config, 1);
    const ids = tf.zeros([s.batch, s.seq], 'int32') as tf.Tensor2D;
    const before = tf.memory().numTensors;
    // Attention probabilities alone: 64·16·1024² floats, 4 GiB.
    assert.equal(nativeHidden(GPT2_NATIVE, config, model.params, ids, nativeTrunkKernels()!, new WorkspacePool()), undefined);
    assert.equal(tf.memory().numTensors, before);
    ids.dispose();
    model.dispose();
  });

  it('a recorded forward whose backward never runs does not disturb the next step', () => {
    const s = SHAPES[0]!;
    const model = randomModel(configOf(s), 4);
    const ids = idsOf(s, 6);
    const r = seeded(s.batch * s.seq * s.width, 8);
    const ref = tapeGrads(model, ids, s, r, false);
    const idT = tf.tensor2d(ids, [s.batch, s.seq], 'int32');
    const wpe = model.params.get('transformer.wpe.weight')!;
    // The hidden states are computed on the tape but the loss does not depend on them.
    const { value, grads } = tf.variableGrads(() => {
      model.hidden(idT);
      return tf.sum(wpe);
    }, [wpe]);
    tf.dispose([idT, value, ...Object.values(grads)]);
    assertSame(tapeGrads(model, ids, s, r, true), ref);
    model.dispose();
  });
});
