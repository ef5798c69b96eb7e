// The WebAssembly SIMD kernels (src/backend/simd/kernels.c, assets/simd/sftgoc-simd.wasm) and their
// native build (src/backend/native-kernels/, assets/native/) against the plain loops of
// src/model/native/rows.ts and src/backend/kernels/adamw.ts, on the wasm heap, over sizes that leave
// a tail after the vectors and sizes the native pool splits over threads; and the wasm binary's
// promise to own nothing in the memory it shares with tfjs.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { SIMD_BINARY, wasmHeap } from '../../src/backend/simd/module.js';
import { heapArena } from '../../src/backend/heap/arena.js';
import { jsRowOps, ROW_OP_KERNELS, simdRowOps, type RowOps } from '../../src/model/native/row-ops.js';
import { SIMD_KERNELS, simdExportProblems, type SimdExports } from '../../src/backend/simd/kernel-table.js';
import { assertClose, BLAS, seeded } from './helpers.js';
import { activeNativeKernels } from '../../src/backend/native-kernels/active.js';
import { adamwInto, type AdamWStep } from '../../src/backend/kernels/adamw.js';

/** Section ids of a wasm binary, in order (the format's header: magic, version, then id + LEB128 size). */
function sectionIds(bytes: Uint8Array): number[] {
  const ids: number[] = [];
  let i = 8;
  while (i < bytes.length) {
    const id = bytes[i++]!;
    let size = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[i++]!;
      size |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    ids.push(id);
    i += size;
  }
  return ids;
}

const TOL = { abs: 2e-6, rel: 2e-5 };

/**
 * The kernels of one build against the loops: the WebAssembly ones (backend wasm), and the native
 * ones (backend wasm-blas, where the BLAS and the native build load). Each kernel also runs at a
 * size above the native pool's grain (32,768 values), so that the native build splits it.
 */
function describeKernels(build: 'wasm' | 'native'): void {
describe(`backend: ${build === 'wasm' ? 'WebAssembly SIMD' : 'native'} kernels against the plain loops`, () => {
  let previous: string | undefined;
  let simd: RowOps;
  let exports: SimdExports;
  const called = new Set<string>();
  let fresh: (values: Float32Array) => Float32Array;
  before(async function () {
    previous = tf.getBackend();
    if (build === 'native') {
      if (!BLAS.ok) this.skip();
      await initBackend('wasm-blas');
      if (activeNativeKernels() === undefined) this.skip();
    } else {
      await initBackend('wasm');
    }
    const heap = wasmHeap();
    assert.ok(heap !== undefined, 'the kernels load on the wasm backend');
    exports = heap.simd;
    // The row ops run over a recording view of the exports, so the last test can check that every
    // kernel the table gives a row pass was compared with its loop here.
    const recording = Object.fromEntries(Object.entries(heap.simd).map(([name, f]) => [name, (...args: number[]) => {
      called.add(name);
      return (f as (...a: number[]) => unknown)(...args);
    }])) as unknown as SimdExports;
    simd = simdRowOps(recording, heap.backend.wasm.asm.memory);
    // Grown once up front: a heap that grows while a test holds views would detach them (and a
    // detached view's offset reads 0). The tests' blocks fit in what this frees.
    heap.backend.wasm._free(heap.backend.wasm._malloc(64 * 2 ** 20));
    // Each array its own heap block (freed with the backend's memory at exit).
    fresh = (values) => {
      const arena = heapArena(heap.backend);
      arena.reserve(values.length);
      const view = arena.view(0, values.length);
      view.set(values);
      return view;
    };
  });
  after(async () => {
    await tf.setBackend(previous ?? 'cpu');
  });

  if (build === 'wasm') it('has no data section and imports only env.memory', () => {
    const bytes = readFileSync(SIMD_BINARY);
    assert.ok(!sectionIds(bytes).includes(11), 'a data section would write into tfjs memory');
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
    assert.deepEqual(imports, [{ module: 'env', name: 'memory', kind: 'memory' }]);
  });

  for (const [activation, n] of [['tanh', 1], ['tanh', 3], ['tanh', 4], ['tanh', 7], ['tanh', 33], ['tanh', 70_001], ['erf', 3], ['erf', 37], ['erf', 70_001]] as const) {
    it(`GELU (${activation}) forward and backward, ${n} values`, () => {
      const pre = seeded(n, n).map((x) => x * 4);
      const dAct = seeded(n, n + 1);
      const [a1, g1, d1] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
      jsRowOps.geluForward(activation, pre, n, a1, g1);
      jsRowOps.geluBackward(activation, pre, g1, dAct, n, d1);
      const [hp, a2, g2, hd, d2] = [fresh(pre), fresh(new Float32Array(n)), fresh(new Float32Array(n)), fresh(dAct), fresh(new Float32Array(n))];
      simd.geluForward(activation, hp, n, a2, g2);
      simd.geluBackward(activation, hp, g2, hd, n, d2);
      assertClose(a2, a1, TOL, 'act');
      assertClose(g2, g1, TOL, 'gate');
      assertClose(d2, d1, TOL, 'dPre');
    });
  }

  it('GELU (tanh) over [-12, 12] in 4,001 steps against the float64 tanh formula: the exp (rounded by the 1.5·2²³ sum) holds its precision over the whole range', () => {
    const n = 4001;
    const pre = Float32Array.from({ length: n }, (_, i) => -12 + (24 * i) / (n - 1));
    const [hp, act, gate] = [fresh(pre), fresh(new Float32Array(n)), fresh(new Float32Array(n))];
    simd.geluForward('tanh', hp, n, act, gate);
    const expected = Float64Array.from(pre, (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))));
    assertClose(act, expected, { abs: 1e-6, rel: 1e-5 }, 'act');
  });

  for (const [rows, width] of [[1, 1], [3, 5], [2, 8], [4, 13], [301, 257]] as const) {
    it(`LayerNorm forward and backward, ${rows} × ${width}`, () => {
      const n = rows * width;
      const x = seeded(n, width).map((v, i) => v * 3 + (i % width));
      const gamma = seeded(width, 2);
      const beta = seeded(width, 3);
      const dOut = seeded(n, 4);
      const dxStart = seeded(n, 5);
      const js = { out: new Float32Array(n), mean: new Float32Array(rows), rstd: new Float32Array(rows), dx: Float32Array.from(dxStart), dg: new Float32Array(width), db: new Float32Array(width) };
      jsRowOps.layerNormForward(x, gamma, beta, 1e-5, rows, width, js.out, js.mean, js.rstd);
      jsRowOps.layerNormBackward(dOut, x, js.mean, js.rstd, gamma, rows, width, js.dx, js.dg, js.db);
      const h = { x: fresh(x), gamma: fresh(gamma), beta: fresh(beta), dOut: fresh(dOut), out: fresh(new Float32Array(n)), mean: fresh(new Float32Array(rows)), rstd: fresh(new Float32Array(rows)), dx: fresh(dxStart), dg: fresh(new Float32Array(width).fill(9)), db: fresh(new Float32Array(width).fill(9)) };
      simd.layerNormForward(h.x, h.gamma, h.beta, 1e-5, rows, width, h.out, h.mean, h.rstd);
      simd.layerNormBackward(h.dOut, h.x, h.mean, h.rstd, h.gamma, rows, width, h.dx, h.dg, h.db);
      assertClose(h.out, js.out, TOL, 'out');
      assertClose(h.rstd, js.rstd, TOL, 'rstd');
      assertClose(h.dx, js.dx, { abs: 1e-5, rel: 1e-4 }, 'dx (added to)');
      assertClose(h.dg, js.dg, { abs: 1e-5, rel: 1e-4 }, 'dGamma (overwritten)');
      assertClose(h.db, js.db, { abs: 1e-5, rel: 1e-4 }, 'dBeta (overwritten)');
    });
  }

  for (const [count, seq] of [[1, 1], [2, 5], [3, 9], [1, 130], [5, 131]] as const) {
    it(`causal softmax forward and backward, ${count} blocks of ${seq} × ${seq}, scores up to ±50`, () => {
      const n = count * seq * seq;
      const scores = seeded(n, seq).map((v) => v * 25);
      const dP = seeded(n, seq + 1);
      const p1 = Float32Array.from(scores);
      const d1 = Float32Array.from(dP);
      jsRowOps.causalSoftmax(p1, count, seq);
      jsRowOps.causalSoftmaxBackward(p1, d1, count, seq);
      const p2 = fresh(scores);
      const d2 = fresh(dP);
      simd.causalSoftmax(p2, count, seq);
      simd.causalSoftmaxBackward(p2, d2, count, seq);
      assertClose(p2, p1, TOL, 'probabilities');
      assertClose(d2, d1, { abs: 1e-5, rel: 1e-4 }, 'score gradient');
    });
  }

  for (const [rows, width] of [[1, 1], [3, 7], [2, 16], [301, 257]] as const) {
    it(`RMSNorm forward and backward, ${rows} × ${width}; SwiGLU forward and backward, ${rows * width} values`, () => {
      const n = rows * width;
      const x = seeded(n, width + 40).map((v, i) => v * 2 + (i % 3));
      const gamma = seeded(width, 41);
      const dOut = seeded(n, 42);
      const dxStart = seeded(n, 43);
      const js = { out: new Float32Array(n), rstd: new Float32Array(rows), dx: Float32Array.from(dxStart), dg: new Float32Array(width) };
      jsRowOps.rmsNormForward(x, gamma, 1e-6, rows, width, js.out, js.rstd);
      jsRowOps.rmsNormBackward(dOut, x, js.rstd, gamma, rows, width, js.dx, js.dg);
      const h = { x: fresh(x), gamma: fresh(gamma), dOut: fresh(dOut), out: fresh(new Float32Array(n)), rstd: fresh(new Float32Array(rows)), dx: fresh(dxStart), dg: fresh(new Float32Array(width).fill(9)) };
      simd.rmsNormForward(h.x, h.gamma, 1e-6, rows, width, h.out, h.rstd);
      simd.rmsNormBackward(h.dOut, h.x, h.rstd, h.gamma, rows, width, h.dx, h.dg);
      assertClose(h.out, js.out, TOL, 'rms out');
      assertClose(h.dx, js.dx, { abs: 1e-5, rel: 1e-4 }, 'rms dx (added to)');
      assertClose(h.dg, js.dg, { abs: 1e-5, rel: 1e-4 }, 'rms dGamma (overwritten)');
      const gate = x.map((v) => v * 3);
      const js2 = { out: new Float32Array(n), sig: new Float32Array(n), dGate: new Float32Array(n), dUp: new Float32Array(n) };
      jsRowOps.swigluForward(gate, dxStart, n, js2.out, js2.sig);
      jsRowOps.swigluBackward(gate, dxStart, js2.sig, dOut, n, js2.dGate, js2.dUp);
      const h2 = { gate: fresh(gate), up: fresh(dxStart), out: fresh(new Float32Array(n)), sig: fresh(new Float32Array(n)), dGate: fresh(new Float32Array(n)), dUp: fresh(new Float32Array(n)) };
      simd.swigluForward(h2.gate, h2.up, n, h2.out, h2.sig);
      simd.swigluBackward(h2.gate, h2.up, h2.sig, h.dOut, n, h2.dGate, h2.dUp);
      assertClose(h2.out, js2.out, TOL, 'swiglu out');
      assertClose(h2.dGate, js2.dGate, TOL, 'swiglu dGate');
      assertClose(h2.dUp, js2.dUp, TOL, 'swiglu dUp');
    });
  }

  for (const withPositions of [true, false]) {
    it(`embedding forward and backward${withPositions ? ' with positions' : ''}: repeated ids, width 7`, () => {
      const [vocab, positions, seq, rows, width] = [5, 6, 3, 6, 7];
      const table = seeded(vocab * width, 60);
      const pos = withPositions ? seeded(positions * width, 61) : undefined;
      const ids = Int32Array.from([4, 0, 4, 2, 2, 4]);
      const dx = seeded(rows * width, 62);
      const js = { out: new Float32Array(rows * width), dTable: new Float32Array(vocab * width), dPos: pos === undefined ? undefined : new Float32Array(positions * width) };
      jsRowOps.embedForward(table, pos, ids, rows, seq, width, js.out);
      jsRowOps.embedBackward(dx, ids, rows, seq, width, js.dTable, js.dPos);
      const heapIds = fresh(new Float32Array(rows));
      const idView = new Int32Array(heapIds.buffer, heapIds.byteOffset, rows);
      idView.set(ids);
      const h = { out: fresh(new Float32Array(rows * width)), dTable: fresh(new Float32Array(vocab * width).fill(9)), dPos: pos === undefined ? undefined : fresh(new Float32Array(positions * width).fill(9)) };
      simd.embedForward(fresh(table), pos === undefined ? undefined : fresh(pos), idView, rows, seq, width, h.out);
      simd.embedBackward(fresh(dx), idView, rows, seq, width, h.dTable, h.dPos);
      assertClose(h.out, js.out, TOL, 'embedding');
      assertClose(h.dTable, js.dTable, TOL, 'table gradient (overwritten)');
      if (pos !== undefined) assertClose(h.dPos!, js.dPos!, TOL, 'position gradient (overwritten)');
    });
  }

  for (const [rows, width] of [[3, 7], [301, 257]] as const) it(`add, column sums, and a view that is not on the heap is refused, ${rows} × ${width}`, () => {
    const x = seeded(rows * width, 1);
    const y = seeded(rows * width, 2);
    const js = Float32Array.from(y);
    jsRowOps.addInto(js, x, x.length);
    const hy = fresh(y);
    simd.addInto(hy, fresh(x), x.length);
    assertClose(hy, js, TOL, 'add');
    const s1 = new Float32Array(width);
    jsRowOps.columnSums(x, rows, width, s1);
    const s2 = fresh(new Float32Array(width));
    simd.columnSums(fresh(x), rows, width, s2);
    assertClose(s2, s1, TOL, 'column sums');
    assert.throws(() => simd.addInto(new Float32Array(4), fresh(new Float32Array(4)), 4), /not a view of the wasm heap/);
  });

  it('AdamW, the loss head\'s softmax cross-entropy and Σx², above the thread split, against their loops', () => {
    const n = 70_001;
    const step: AdamWStep = { gradScale: 0.7, b1: 0.9, b2: 0.999, c1: 1 - 0.9 ** 5, c2: 1 - 0.999 ** 5, eps: 1e-8, lr: 3e-4, decay: 1 - 3e-4 * 0.05 };
    const [p, m, v, g] = [seeded(n, 70), seeded(n, 71).map((x) => x * 0.01), seeded(n, 72).map((x) => x * x * 1e-3), seeded(n, 73)];
    const want = [new Float32Array(n), new Float32Array(n), new Float32Array(n)] as const;
    adamwInto(p, m, v, g, step, want[0], want[1], want[2]);
    const h = [fresh(p), fresh(m), fresh(v), fresh(g), fresh(new Float32Array(n)), fresh(new Float32Array(n)), fresh(new Float32Array(n))] as const;
    const at = (x: Float32Array | Int32Array): number => x.byteOffset;
    exports.adamw(at(h[0]), at(h[1]), at(h[2]), at(h[3]), n, step.b1, step.b2, step.c1, step.c2, step.eps, step.lr, step.decay, step.gradScale, at(h[4]), at(h[5]), at(h[6]));
    assertClose(h[4], want[0], TOL, 'p');
    assertClose(h[5], want[1], TOL, 'm');
    assertClose(h[6], want[2], TOL, 'v');
    let squares = 0;
    for (const x of g) squares += x * x;
    const sum = exports.sum_squares(at(h[3]), n);
    assert.ok(Math.abs(sum - squares) <= 1e-6 * squares, `Σx² ${sum} against ${squares}`);
    // Softmax cross-entropy over rows × vocab, the rows split across threads; then its backward.
    const [rows, vocab] = [21, 4099];
    const logits = seeded(rows * vocab, 74).map((x) => x * 6);
    const targetsF = fresh(new Float32Array(rows));
    const targets = new Int32Array(targetsF.buffer, targetsF.byteOffset, rows);
    targets.set(Int32Array.from({ length: rows }, (_, r) => (r * 977) % vocab));
    const dce = seeded(rows, 75);
    const hl = fresh(logits);
    const [mx, sm, picked, hdce] = [fresh(new Float32Array(rows)), fresh(new Float32Array(rows)), fresh(new Float32Array(rows)), fresh(dce)];
    exports.softmax_ce_fwd(at(hl), rows, vocab, at(targets), at(mx), at(sm), at(picked));
    const ce = new Float32Array(rows);
    const grad = new Float32Array(rows * vocab);
    for (let r = 0; r < rows; r++) {
      const row = logits.subarray(r * vocab, (r + 1) * vocab);
      const top = Math.max(...row);
      let total = 0;
      for (const x of row) total += Math.exp(x - top);
      ce[r] = top + Math.log(total) - row[targets[r]!]!;
      for (let j = 0; j < vocab; j++) grad[r * vocab + j] = dce[r]! * (Math.exp(row[j]! - top) / total - (j === targets[r] ? 1 : 0));
    }
    assertClose(Float32Array.from({ length: rows }, (_, r) => mx[r]! - picked[r]! + Math.log(sm[r]!)), ce, TOL, 'ce');
    exports.softmax_ce_bwd(at(hl), rows, vocab, at(targets), at(hdce), at(sm));
    assertClose(hl, grad, { abs: 1e-7, rel: 1e-4 }, 'logit gradient');
  });

  if (build === 'wasm') it('the binary exports every kernel of the table with its parameter count; a stale binary is named', () => {
    assert.deepEqual(simdExportProblems(exports as unknown as Record<string, unknown>), []);
    const stale = { ...(exports as unknown as Record<string, unknown>), add_into: undefined, column_sums: (a: number) => a };
    assert.deepEqual(simdExportProblems(stale), ['add_into is not exported', 'column_sums takes 1 arguments, the table says 4']);
  });

  it('every kernel behind a row pass was compared with its loop above (the table decides which)', () => {
    const behindRowOps = [...new Set(Object.values(ROW_OP_KERNELS).flat())].sort();
    assert.deepEqual(behindRowOps.filter((k) => !called.has(k)), []);
    // The others are compared above (adamw, softmax_ce_*, sum_squares) and in their own tests: train/clip, head/native-ce, kernels/adamw, backend/bf16 (f32_to_bf16).
    assert.deepEqual(Object.keys(SIMD_KERNELS).filter((k) => !behindRowOps.includes(k as never)).sort(), ['adamw', 'f32_to_bf16', 'softmax_ce_bwd', 'softmax_ce_fwd', 'sum_squares']);
  });
});
}

describeKernels('wasm');
describeKernels('native');
