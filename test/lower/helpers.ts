// Shared by the lowering tests: compiling sources in memory, deterministic random per-token inputs
// that satisfy whatever an objective reads, and the float32-vs-float64 comparison.
import { strict as assert } from 'node:assert';
import { memoryHost } from '../../src/check/host.js';
import { compile } from '../../src/compile.js';
import type { Objective } from '../../src/ir/nodes.js';
import { rankKey, scorerKey, evaluateScalar, type EvalInputs } from '../../src/ir/reference-eval.js';
import { walk } from '../../src/ir/walk.js';
import { mulberry32 } from '../../src/util/prng.js';

export function objective(source: string, params: Record<string, number> = {}): Objective {
  const r = compile(source, { file: 'e.sftgo', host: memoryHost({}), params });
  assert.ok(r.objective, `${source}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.objective;
}

/** The project's seeded generator, so every failure replays. */
export const rng = mulberry32;

export interface InputShape {
  /** Tokens per sample. */
  sizes: number[];
  seed: number;
  ce?: (r: () => number, i: number) => number;
  /** Scores: continuous by default; `ties` draws from a few values. */
  ties?: boolean;
  step?: number;
  totalSteps?: number;
}

/** Float32-representable values, so both paths see the same inputs. */
const f32 = (x: number) => Math.fround(x);

/** Inputs for every quantity and scorer the objective reads (all of them, whether read or not). */
export function inputsFor(o: Objective, shape: InputShape): EvalInputs {
  const r = rng(shape.seed);
  const n = shape.sizes.reduce((a, b) => a + b, 0);
  const sampleOf = shape.sizes.flatMap((k, s) => new Array<number>(k).fill(s));
  const draw = () => (shape.ties ? Math.floor(r() * 3) / 4 : f32(r()));
  const ce = Array.from({ length: n }, (_, i) => f32(shape.ce ? shape.ce(r, i) : 0.05 + 5 * r()));
  const scores: Record<string, number[]> = {};
  const thresholds: Record<string, number> = {};
  const inputs: EvalInputs = {
    sampleOf, ce,
    entropy: Array.from({ length: n }, () => f32(3 * r())),
    refCe: Array.from({ length: n }, () => f32(4 * r())),
    reward: sampleOf.map((s) => f32(((s * 7) % 5) - 2)),
    advantage: sampleOf.map((s) => f32(((s * 3) % 4) / 2 - 0.75)),
    text: Array.from({ length: n }, () => ['a', 'b', 'ab', ' c', 'the'][Math.floor(r() * 5)]!),
    scores,
    corpusThresholds: thresholds,
    step: shape.step ?? 0,
    totalSteps: shape.totalSteps ?? 10,
  };
  const visit = (e: Parameters<Parameters<typeof walk>[1]>[0]) => {
    if ((e.op === 'scores' || e.op === 'rank') && e.scorer.kind === 'static') {
      const key = scorerKey(e.scorer);
      scores[key] ??= Array.from({ length: n }, draw);
    }
    if (e.op === 'rank' && e.scope === 'corpus') {
      thresholds[rankKey(e, evaluateScalar(o, e.amount, { ce: [], sampleOf: [] }))] = 0.6;
    }
  };
  for (const g of o.partition.groups) walk(g.selector, visit);
  walk(o.loss, visit);
  return inputs;
}

/** |a − b| ≤ abs + rel·|b|: float32 tensors against the float64 reference. */
export function close(actual: number, expected: number, what: string, abs = 2e-5, rel = 2e-4): void {
  const ok = Math.abs(actual - expected) <= abs + rel * Math.abs(expected) || (Number.isNaN(actual) && Number.isNaN(expected));
  assert.ok(ok, `${what}: ${actual} vs reference ${expected}`);
}
