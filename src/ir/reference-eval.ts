// A plain reference evaluator of the objective IR: straight loops over explicit per-token inputs,
// no TensorFlow.js. It gives the loss and each token's weight ∂loss/∂ce_t, so the trainer's
// executor (and anyone else) can be checked against it without a model (CLI.md, "Library entry
// point"). Derivatives use forward-mode dual numbers, one pass per token: O(N²), for small tests only.
//
// Semantics fixed here (LANGUAGE.md §5–7, docs/language.md):
// - `top P%` per sample keeps ceil(P·n) of the sample's n loss tokens (computed as ceil(P·n − 1e-9)
//   so 30% of 10 is 3 despite rounding), highest scores first, ties to the earlier position;
//   `bottom` the lowest. `per batch` ranks all N tokens; `per corpus` compares with the threshold
//   given in the inputs (score ≥ t for top, ≤ t for bottom).
// - A token belongs to the first group whose selector holds, else to `rest`.
// - mean/sum of an empty restriction are 0; seqmean averages the samples that have tokens in it.
// - max(groups)/smoothmax/groupmean/dro use the non-empty groups only; max ties go to the first.
// - dro: q_g ← q_g·exp(step·mean_g) for the non-empty groups on detached values, renormalised,
//   then value Σ q_g·mean_g over the non-empty groups (the updated q, as in Sagawa et al. Alg. 1).
// - ce carries the gradient; logp = −ce, p = exp(−ce), excess = ce − ref_ce follow it; entropy,
//   ref_ce, position, reward, advantage and every scorer are constants. sg() blocks.
// - linear/cosine(a -> b, over = P) reach b at step ⌊P·S⌋ (immediately when that is 0).
import { compileSafeRegex } from '../util/safe-regex.js';
import type { EvalInputs } from './eval-inputs.js';
import { rankKey, scorerKey } from './keys.js';
import type { IrExpr, LogicNode, Objective, ReduceNode, ScorerCall, TokenQuantity } from './nodes.js';
import { dispatch, type IrTable } from './table.js';
import { add, BINARY, c, COMPARE, keep, meanOf, mul, UNARY, type D } from './dual.js';

export { keep } from './dual.js';
export { rankKey, scorerKey } from './keys.js';
export type { EvalInputs } from './eval-inputs.js';

export interface EvalResult {
  loss: number;
  /** ∂loss/∂ce_t for every token. */
  weights: number[];
  /** Group of each token (partition order, rest last), and each group's token count. */
  groupOf: number[];
  groupNames: string[];
  /** Group DRO weights after this step, when the loss has a dro term. */
  droWeights?: number[];
}

type Value = { kind: 'scalar'; x: D } | { kind: 'tokens'; xs: D[] } | { kind: 'mask'; m: boolean[] };
const S = (x: D): Value => ({ kind: 'scalar', x });
const T = (xs: D[]): Value => ({ kind: 'tokens', xs });
const M = (m: boolean[]): Value => ({ kind: 'mask', m });

// Host-side selector logic, shared with the tensor executor (src/lower/): it evaluates masks and
// step scalars with this same code on detached per-token values, so the two cannot disagree on ranks,
// ties, first-match membership or schedules.

/** Values of mask-typed nodes (selectors, comparisons, `group` references) on these inputs. */
export function evaluateMasks(o: Objective, exprs: readonly IrExpr[], inputs: EvalInputs): boolean[][] {
  const ev = new Evaluator(o, inputs, -1);
  return exprs.map((e) => ev.mask(e));
}

/** The partition: each token's group index (declared groups in order, then rest = groups.length). */
export function evaluatePartition(o: Objective, inputs: EvalInputs): number[] {
  return new Evaluator(o, inputs, -1).groupOf();
}

/** A scalar that needs no tokens (params, schedules, step, progress): give `ce: [], sampleOf: []`. */
export function evaluateScalar(o: Objective, e: IrExpr, inputs: EvalInputs): number {
  return new Evaluator(o, inputs, -1).scalar(e).v;
}

export function evaluateObjective(o: Objective, inputs: EvalInputs): EvalResult {
  const n = inputs.ce.length;
  let value = 0;
  let dro: number[] | undefined;
  const weights = new Array<number>(n).fill(0);
  let partition: number[] = [];
  // Seed −1 computes values only; seed j the derivative with respect to ce_j.
  for (let seed = -1; seed < n; seed++) {
    const ev = new Evaluator(o, inputs, seed);
    const loss = ev.scalar(o.loss);
    if (seed === -1) {
      value = loss.v;
      partition = ev.groupOf();
      dro = ev.droOut;
    } else {
      weights[seed] = loss.d;
    }
  }
  return { loss: value, weights, groupOf: partition, groupNames: [...o.partition.groups.map((g) => g.name), 'rest'], droWeights: dro };
}

class Evaluator {
  private readonly n: number;
  private partition?: number[];
  droOut?: number[];

  constructor(
    private readonly o: Objective,
    private readonly inputs: EvalInputs,
    private readonly seed: number,
  ) {
    this.n = inputs.ce.length;
  }

  scalar(e: IrExpr): D {
    const v = this.eval(e);
    if (v.kind !== 'scalar') throw new Error(`expected a scalar from ${e.op}`);
    return v.x;
  }

  private tokens(e: IrExpr): D[] {
    const v = this.eval(e);
    if (v.kind === 'tokens') return v.xs;
    if (v.kind === 'scalar') return new Array<D>(this.n).fill(v.x);
    throw new Error(`expected tokens from ${e.op}`);
  }

  mask(e: IrExpr): boolean[] {
    const v = this.eval(e);
    if (v.kind !== 'mask') throw new Error(`expected a mask from ${e.op}`);
    return v.m;
  }

  private input(name: keyof EvalInputs, values: number[] | undefined): number[] {
    if (values === undefined || values.length !== this.n) throw new Error(`inputs.${name} must hold ${this.n} values`);
    return values;
  }

  private ce(): D[] {
    return this.inputs.ce.map((v, i) => ({ v, d: i === this.seed ? 1 : 0 }));
  }

  groupOf(): number[] {
    if (this.partition === undefined) {
      const groups = this.o.partition.groups;
      const masks = groups.map((g) => this.mask(g.selector));
      this.partition = Array.from({ length: this.n }, (_, t) => {
        const g = masks.findIndex((m) => m[t]);
        return g < 0 ? groups.length : g;
      });
    }
    return this.partition;
  }

  /** Values by node: a node shared by several parents (a let, a CSE'd term) is evaluated once. */
  private readonly values = new Map<IrExpr, Value>();

  private eval(e: IrExpr): Value {
    let v = this.values.get(e);
    if (v === undefined) {
      v = this.compute(e);
      this.values.set(e, v);
    }
    return v;
  }

  private compute(e: IrExpr): Value {
    return dispatch(this.computeTable, e);
  }

  /** Each kind of node on dual numbers (value, derivative with respect to the token ce). */
  private readonly computeTable = {
    const: (e) => S(c(e.value)),
    param: (e) => {
      const override = this.inputs.params?.[e.name];
      if (override !== undefined) return S(c(override));
      const p = this.o.params.find((q) => q.name === e.name);
      if (p === undefined) throw new Error(`unknown param ${e.name}`);
      return this.eval(p.value);
    },
    token: (e) => T(this.token(e.name)),
    step: () => S(c(this.inputs.step ?? 0)),
    progress: () => S(c((this.inputs.step ?? 0) / Math.max(1, this.inputs.totalSteps ?? 1))),
    schedule: (e) => {
      const a = this.scalar(e.from).v;
      const b = this.scalar(e.to).v;
      if (e.kind === 'const') return S(c(a));
      const end = Math.floor(e.over * (this.inputs.totalSteps ?? 1));
      const t = end <= 0 ? 1 : Math.min(1, (this.inputs.step ?? 0) / end);
      const f = e.kind === 'linear' ? t : (1 - Math.cos(Math.PI * t)) / 2;
      return S(c(a + (b - a) * f));
    },
    unary: (e) => this.map1(this.eval(e.arg), UNARY[e.fn]!),
    binary: (e) => this.map2(this.eval(e.left), this.eval(e.right), BINARY[e.fn]!),
    compare: (e) => {
      const l = this.tokens(e.left);
      const r = this.tokens(e.right);
      const f = COMPARE[e.fn]!;
      return M(l.map((x, i) => f(x.v, r[i]!.v)));
    },
    and: (e) => this.logic(e),
    or: (e) => this.logic(e),
    not: (e) => M(this.mask(e.arg).map((x) => !x)),
    where: (e) => {
      const m = this.mask(e.cond);
      const a = this.tokens(e.then);
      const b = this.tokens(e.else);
      return T(m.map((x, i) => (x ? a[i]! : b[i]!)));
    },
    clip: (e) => {
      const lo = this.eval(e.lo);
      const hi = this.eval(e.hi);
      return this.map2(this.map2(this.eval(e.arg), lo, BINARY.max!), hi, BINARY.min!);
    },
    scores: (e) => T(this.scores(e.scorer).map(c)),
    rank: (e) => M(this.rank(e)),
    regex: (e) => {
      const compiled = compileSafeRegex(e.pattern);
      if ('error' in compiled) throw new Error(`invalid regular expression ${JSON.stringify(e.pattern)}: ${compiled.error}`);
      const re = compiled.regex;
      const text = this.inputs.text;
      if (text === undefined || text.length !== this.n) throw new Error(`inputs.text must hold ${this.n} strings`);
      return M(text.map((s) => re.test(s)));
    },
    group: (e) => {
      const names = [...this.o.partition.groups.map((g) => g.name), 'rest'];
      const index = names.indexOf(e.name);
      return M(this.groupOf().map((g) => g === index));
    },
    mean: (e) => this.reduceNode(e),
    sum: (e) => this.reduceNode(e),
    seqmean: (e) => this.reduceNode(e),
    count: (e) => S(c(this.mask(e.mask).filter(Boolean).length)),
    cvar: (e) => {
      const xs = this.tokens(e.arg);
      const m = e.mask === undefined ? undefined : this.mask(e.mask);
      const chosen = xs.map((x, i) => ({ x, i })).filter(({ i }) => m === undefined || m[i]);
      const k = keep(this.scalar(e.fraction).v, chosen.length);
      chosen.sort((a, b) => b.x.v - a.x.v || a.i - b.i);
      return S(meanOf(chosen.slice(0, k).map(({ x }) => x)));
    },
    groups: (e) => S(this.groupReduce(e)),
  } satisfies IrTable<Value>;

  private token(name: TokenQuantity): D[] {
    const ce = this.ce();
    switch (name) {
      case 'ce':
        return ce;
      case 'logp':
        return ce.map((x) => ({ v: -x.v, d: -x.d }));
      case 'p':
        return ce.map((x) => ({ v: Math.exp(-x.v), d: -Math.exp(-x.v) * x.d }));
      case 'excess': {
        const ref = this.input('refCe', this.inputs.refCe);
        return ce.map((x, i) => ({ v: x.v - ref[i]!, d: x.d }));
      }
      case 'entropy':
        return this.input('entropy', this.inputs.entropy).map(c);
      case 'ref_ce':
        return this.input('refCe', this.inputs.refCe).map(c);
      case 'reward':
        return this.input('reward', this.inputs.reward).map(c);
      case 'advantage':
        return this.input('advantage', this.inputs.advantage).map(c);
      case 'position':
        return this.positions().map(c);
    }
  }

  private logic(e: LogicNode): Value {
    const l = this.mask(e.left);
    const r = this.mask(e.right);
    return M(l.map((x, i) => (e.op === 'and' ? x && r[i]! : x || r[i]!)));
  }

  private reduceNode(e: ReduceNode): Value {
    return S(this.reduce(e.op, this.tokens(e.arg), e.mask === undefined ? undefined : this.mask(e.mask)));
  }

  private positions(): number[] {
    const seen = new Map<number, number>();
    return this.inputs.sampleOf.map((s) => {
      const p = seen.get(s) ?? 0;
      seen.set(s, p + 1);
      return p;
    });
  }

  private scores(s: ScorerCall): number[] {
    const given = this.inputs.scores?.[scorerKey(s)];
    if (given !== undefined) return this.input('scores', given);
    // The dynamic scorers follow from the per-token inputs.
    if (s.name === 'loss') return this.inputs.ce;
    if (s.name === 'entropy') return this.input('entropy', this.inputs.entropy);
    if (s.name === 'excess_loss') {
      const ref = this.input('refCe', this.inputs.refCe);
      return this.inputs.ce.map((v, i) => v - ref[i]!);
    }
    throw new Error(`inputs.scores["${scorerKey(s)}"] is missing`);
  }

  private rank(e: Extract<IrExpr, { op: 'rank' }>): boolean[] {
    const scores = this.scores(e.scorer);
    const amount = this.scalar(e.amount).v;
    const top = e.direction === 'top';
    const out = new Array<boolean>(this.n).fill(false);
    if (e.scope === 'corpus') {
      const t = this.inputs.corpusThresholds?.[rankKey(e, amount)];
      if (t === undefined) throw new Error(`inputs.corpusThresholds["${rankKey(e, amount)}"] is missing`);
      return scores.map((s) => (top ? s >= t : s <= t));
    }
    // Pushed in place (not spread): a batch-wide pool holds every loss token of the step.
    const pools = new Map<number, number[]>();
    this.inputs.sampleOf.forEach((s, i) => {
      const key = e.scope === 'batch' ? 0 : s;
      const pool = pools.get(key);
      if (pool === undefined) pools.set(key, [i]);
      else pool.push(i);
    });
    for (const pool of pools.values()) {
      const order = [...pool].sort((a, b) => (top ? scores[b]! - scores[a]! : scores[a]! - scores[b]!) || a - b);
      for (const i of order.slice(0, keep(amount, pool.length))) out[i] = true;
    }
    return out;
  }

  private reduce(op: 'mean' | 'sum' | 'seqmean', xs: D[], m: boolean[] | undefined): D {
    const idx = xs.map((_, i) => i).filter((i) => m === undefined || m[i]);
    if (op === 'sum') return idx.reduce((acc, i) => add(acc, xs[i]!), c(0));
    if (op === 'mean') return meanOf(idx.map((i) => xs[i]!));
    const bySample = new Map<number, D[]>();
    for (const i of idx) bySample.set(this.inputs.sampleOf[i]!, [...(bySample.get(this.inputs.sampleOf[i]!) ?? []), xs[i]!]);
    return meanOf([...bySample.values()].map(meanOf));
  }

  private groupReduce(e: Extract<IrExpr, { op: 'groups' }>): D {
    const means = e.terms.map((t) => this.scalar(t));
    const nonEmpty = e.terms.map((t) => this.mask(t.mask!).some(Boolean));
    const live = means.map((m, g) => ({ m, g })).filter(({ g }) => nonEmpty[g]);
    if (live.length === 0) return c(0);
    switch (e.fn) {
      case 'max':
        return live.reduce((best, x) => (x.m.v > best.m.v ? x : best)).m;
      case 'mean':
        return meanOf(live.map(({ m }) => m));
      case 'smoothmax': {
        const t = this.scalar(e.rate!).v;
        const top = Math.max(...live.map(({ m }) => m.v / t));
        const ws = live.map(({ m }) => Math.exp(m.v / t - top));
        const z = ws.reduce((a, b) => a + b, 0);
        return { v: t * (top + Math.log(z)), d: live.reduce((acc, { m }, i) => acc + (ws[i]! / z) * m.d, 0) };
      }
      case 'dro': {
        const step = this.scalar(e.rate!).v;
        const q = [...(this.inputs.droWeights ?? e.terms.map(() => 1 / e.terms.length))];
        for (const { m, g } of live) q[g] = q[g]! * Math.exp(step * m.v);
        const z = q.reduce((a, b) => a + b, 0);
        for (let g = 0; g < q.length; g++) q[g] = q[g]! / z;
        this.droOut = q;
        return live.reduce((acc, { m, g }) => add(acc, mul(c(q[g]!), m)), c(0));
      }
    }
  }

  private map1(v: Value, f: (x: D) => D): Value {
    if (v.kind === 'scalar') return { kind: 'scalar', x: f(v.x) };
    if (v.kind === 'tokens') return { kind: 'tokens', xs: v.xs.map(f) };
    throw new Error('arithmetic on a mask');
  }

  private map2(a: Value, b: Value, f: (x: D, y: D) => D): Value {
    if (a.kind === 'scalar' && b.kind === 'scalar') return { kind: 'scalar', x: f(a.x, b.x) };
    const xs = a.kind === 'tokens' ? a.xs : a.kind === 'scalar' ? new Array<D>(this.n).fill(a.x) : undefined;
    const ys = b.kind === 'tokens' ? b.xs : b.kind === 'scalar' ? new Array<D>(this.n).fill(b.x) : undefined;
    if (xs === undefined || ys === undefined) throw new Error('arithmetic on a mask');
    return { kind: 'tokens', xs: xs.map((x, i) => f(x, ys[i]!)) };
  }
}
