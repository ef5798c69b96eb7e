// The check a native kernels library passes before it is used (load.ts): three kernels on a scratch
// memory of their own, large enough that the pool splits each over its threads, against the plain
// loops (GELU against its tanh formula in float64). It catches a wrong build, a CPU that runs it wrongly, and a broken thread split; the unit
// tests (test/backend/simd.test.ts) compare every kernel.
import { adamwInto, type AdamWStep } from '../kernels/adamw.js';
import type { SimdExports } from '../simd/kernel-table.js';
import { sgemmBatchByLoop, type SgemmBatch } from '../blas/library.js';
import { plainSgemm } from '../blas/plain-sgemm.js';

/** Values: more than two pools' grains (32,768 each) and not a multiple of any vector width. */
const N = 70_001;
const TOLERANCE = { abs: 1e-6, rel: 1e-5 };

/** A deterministic spread of values in [-4, 4]. */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 8 - 4;
  }
  return out;
}

function firstDifference(got: Float32Array, want: Float32Array, what: string): string | undefined {
  for (let i = 0; i < want.length; i++) {
    const bound = TOLERANCE.abs + TOLERANCE.rel * Math.abs(want[i]!);
    if (!(Math.abs(got[i]! - want[i]!) <= bound)) return `${what}[${i}] = ${got[i]}, the loop gives ${want[i]}`;
  }
  return undefined;
}

/** Undefined when the kernels agree with the loops; else the first difference. */
export function checkNativeKernels(on: (memory: WebAssembly.Memory) => SimdExports): string | undefined {
  const bytes = N * 4;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((8 * bytes + 4096) / 65536) });
  const kernels = on(memory);
  let next = 4096;  // offset 0 means "none" to the kernels
  const place = (data: Float32Array): { at: number; view: Float32Array } => {
    const view = new Float32Array(memory.buffer, next, data.length);
    view.set(data);
    const at = next;
    next += data.length * 4;
    return { at, view };
  };
  const x = values(N, 1);
  const pre = place(x);
  const act = place(new Float32Array(N));
  const gate = place(new Float32Array(N));
  kernels.gelu_tanh_fwd(pre.at, N, act.at, gate.at);
  // The tanh form itself, in float64: the kernels compute it as x·σ(2u) with their own exp.
  const inner = (u: number): number => Math.sqrt(2 / Math.PI) * (u + 0.044715 * u ** 3);
  const wantGate = x.map((u) => 0.5 * (1 + Math.tanh(inner(u))));
  const wantAct = x.map((u) => 0.5 * u * (1 + Math.tanh(inner(u))));
  const gelu = firstDifference(act.view, wantAct, 'gelu') ?? firstDifference(gate.view, wantGate, 'gelu gate');
  if (gelu !== undefined) return gelu;

  const step: AdamWStep = { gradScale: 0.5, b1: 0.9, b2: 0.999, c1: 1 - 0.9 ** 3, c2: 1 - 0.999 ** 3, eps: 1e-8, lr: 1e-3, decay: 1 - 1e-3 * 0.01 };
  const p = values(N, 2);
  const m = values(N, 3).map((v) => v * 0.01);
  const v = values(N, 4).map((u) => u * u * 0.001);
  const g = values(N, 5);
  const want = [new Float32Array(N), new Float32Array(N), new Float32Array(N)] as const;
  adamwInto(p, m, v, g, step, want[0], want[1], want[2]);
  // Outputs written over the inputs' slots: the scratch memory holds eight arrays.
  next = 4096 + 3 * bytes;
  const [pp, mm, vv, gg] = [place(p), place(m), place(v), place(g)];
  const outs = [act, gate, place(new Float32Array(N))] as const;
  kernels.adamw(pp.at, mm.at, vv.at, gg.at, N, step.b1, step.b2, step.c1, step.c2, step.eps, step.lr, step.decay, step.gradScale, outs[0].at, outs[1].at, outs[2].at);
  for (const [i, what] of ['p', 'm', 'v'].entries()) {
    const d = firstDifference(outs[i]!.view, want[i]!, `adamw ${what}`);
    if (d !== undefined) return d;
  }
  let squares = 0;
  for (const u of x) squares += u * u;
  const got = kernels.sum_squares(pre.at, N);
  if (!(Math.abs(got - squares) <= 1e-5 * squares)) return `sum_squares = ${got}, the loop gives ${squares}`;
  return undefined;
}

/**
 * Undefined when a batch of 16 products of 64×64·64×64 (enough work to be spread over the threads),
 * at scattered offsets and with a transposed B, matches plain loops; else the first difference.
 */
export function checkBatch(batch: SgemmBatch): string | undefined {
  const count = 16;
  const n = 64;
  const a = values(count * n * n + 7, 6);
  const b = values(count * n * n + 3, 7);
  // Item i's blocks in reverse order and shifted, so that a part's items are not contiguous.
  const offsets = (shift: number): Int32Array => Int32Array.from({ length: count }, (_, i) => (count - 1 - i) * n * n + shift);
  const got = values(count * n * n, 8);
  const want = Float32Array.from(got);
  batch(count, false, true, n, n, n, 0.5, a, offsets(7), n, b, offsets(3), n, 0.25, got, offsets(0), n);
  sgemmBatchByLoop(plainSgemm)(count, false, true, n, n, n, 0.5, a, offsets(7), n, b, offsets(3), n, 0.25, want, offsets(0), n);
  for (let i = 0; i < want.length; i++) {
    if (!(Math.abs(got[i]! - want[i]!) <= 1e-4 * Math.max(1, Math.abs(want[i]!)))) return `element ${i} is ${got[i]}, the loops give ${want[i]}`;
  }
  return undefined;
}
