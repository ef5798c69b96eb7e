// The lowering's own host evaluation of what carries no gradient: masks (selectors, comparisons,
// ranks, regexes, group membership), the partition, and scalars that need no tokens (params,
// schedules, clock). Plain float64 numbers straight from the IR's nodes, with no dual numbers and
// no call into the reference evaluator (src/ir/reference-eval.ts), so the tests that compare the
// tensor path with that evaluator compare two implementations. Semantics (LANGUAGE.md): ranks keep
// ceil(P·n) tokens per pool (sample, batch) or pass a corpus threshold, ties broken by the earlier
// token; a token belongs to the first group whose selector holds, else to `rest`.
import { MATH } from '../language/builtins.js';
import { compileSafeRegex } from '../util/safe-regex.js';
import { keep } from './dual.js';
import { rankKey, scorerKey } from './keys.js';
import type { IrExpr, Objective, ReduceNode, ScorerCall, TokenQuantity } from './nodes.js';
import { dispatch, type IrTable } from './table.js';
import { positionsOf, type EvalInputs } from './eval-inputs.js';

type HostValue = number | Float64Array | boolean[];

export class HostValues {
  private readonly n: number;
  private readonly memo = new Map<IrExpr, HostValue>();
  private partitionOf?: number[];

  constructor(
    private readonly o: Objective,
    private readonly inputs: EvalInputs,
  ) {
    this.n = inputs.ce.length;
  }

  mask(e: IrExpr): boolean[] {
    const v = this.value(e);
    if (!Array.isArray(v)) throw new Error(`expected a mask from ${e.op}`);
    return v;
  }

  scalar(e: IrExpr): number {
    const v = this.value(e);
    if (typeof v !== 'number') throw new Error(`expected a scalar from ${e.op}`);
    return v;
  }

  /** Each token's group: declared groups in order, then rest = groups.length. */
  partition(): number[] {
    if (this.partitionOf === undefined) {
      const groups = this.o.partition.groups;
      const masks = groups.map((g) => this.mask(g.selector));
      const out = new Array<number>(this.n).fill(groups.length);
      for (let t = 0; t < this.n; t++) {
        for (let g = 0; g < masks.length; g++) {
          if (masks[g]![t]) {
            out[t] = g;
            break;
          }
        }
      }
      this.partitionOf = out;
    }
    return this.partitionOf;
  }

  private value(e: IrExpr): HostValue {
    let v = this.memo.get(e);
    if (v === undefined) {
      v = this.compute(e);
      this.memo.set(e, v);
    }
    return v;
  }

  private tokens(e: IrExpr): Float64Array {
    const v = this.value(e);
    if (typeof v === 'number') return new Float64Array(this.n).fill(v);
    if (v instanceof Float64Array) return v;
    throw new Error(`expected tokens from ${e.op}`);
  }

  private given(name: string, xs: readonly number[] | undefined): Float64Array {
    if (xs === undefined || xs.length !== this.n) throw new Error(`inputs.${name} must hold ${this.n} values`);
    return Float64Array.from(xs);
  }

  private compute(e: IrExpr): HostValue {
    return dispatch(this.computeTable, e);
  }

  private readonly clockInputs = (): { step: number; totalSteps: number } => ({ step: this.inputs.step ?? 0, totalSteps: this.inputs.totalSteps ?? 1 });

  /** How each kind of node is evaluated on the host, in float64. */
  private readonly computeTable = {
    const: (e) => e.value,
    param: (e) => {
      const override = this.inputs.params?.[e.name];
      if (override !== undefined) return override;
      const p = this.o.params.find((q) => q.name === e.name);
      if (p === undefined) throw new Error(`unknown param ${e.name}`);
      return this.scalar(p.value);
    },
    step: () => this.clockInputs().step,
    progress: () => this.clockInputs().step / Math.max(1, this.clockInputs().totalSteps),
    schedule: (e) => {
      const from = this.scalar(e.from);
      const to = this.scalar(e.to);
      if (e.kind === 'const') return from;
      const { step, totalSteps } = this.clockInputs();
      const end = Math.floor(e.over * totalSteps);
      const t = end <= 0 ? 1 : Math.min(1, step / end);
      const f = e.kind === 'linear' ? t : (1 - Math.cos(Math.PI * t)) / 2;
      return from + (to - from) * f;
    },
    token: (e) => this.token(e.name),
    unary: (e) => {
      const f = e.fn === 'neg' ? (x: number) => -x : MATH[e.fn].value;
      const x = this.value(e.arg);
      return typeof x === 'number' ? f(x) : this.tokens(e.arg).map(f);
    },
    binary: (e) => this.elementwise([e.left, e.right], ([a, b]) => binary(e.fn, a!, b!)),
    clip: (e) =>
      this.elementwise([e.arg, e.lo, e.hi], ([x, lo, hi]) => {
        const up = lo! > x! ? lo! : x!;
        return hi! < up ? hi! : up;
      }),
    where: (e) => {
      const m = this.mask(e.cond);
      const a = this.tokens(e.then);
      const b = this.tokens(e.else);
      return a.map((x, i) => (m[i] ? x : b[i]!));
    },
    compare: (e) => {
      const a = this.tokens(e.left);
      const b = this.tokens(e.right);
      return Array.from(a, (x, i) => compare(e.fn, x, b[i]!));
    },
    and: (e) => {
      const a = this.mask(e.left);
      const b = this.mask(e.right);
      return a.map((x, i) => x && b[i]!);
    },
    or: (e) => {
      const a = this.mask(e.left);
      const b = this.mask(e.right);
      return a.map((x, i) => x || b[i]!);
    },
    not: (e) => this.mask(e.arg).map((x) => !x),
    scores: (e) => this.scores(e.scorer),
    rank: (e) => this.rank(e),
    regex: (e) => {
      const compiled = compileSafeRegex(e.pattern);
      if ('error' in compiled) throw new Error(`invalid regular expression ${JSON.stringify(e.pattern)}: ${compiled.error}`);
      const text = this.inputs.text;
      if (text === undefined || text.length !== this.n) throw new Error(`inputs.text must hold ${this.n} strings`);
      return text.map((s) => compiled.regex.test(s));
    },
    group: (e) => {
      const index = e.name === 'rest' ? this.o.partition.groups.length : this.o.partition.groups.findIndex((g) => g.name === e.name);
      return this.partition().map((g) => g === index);
    },
    count: (e) => this.mask(e.mask).reduce((k, x) => k + (x ? 1 : 0), 0),
    mean: (e) => this.reduceNode(e),
    sum: (e) => this.reduceNode(e),
    seqmean: (e) => this.reduceNode(e),
    cvar: (e) => {
      const xs = this.tokens(e.arg);
      const m = e.mask === undefined ? undefined : this.mask(e.mask);
      const idx = [...xs.keys()].filter((i) => m === undefined || m[i]);
      idx.sort((a, b) => xs[b]! - xs[a]! || a - b);
      const k = keep(this.scalar(e.fraction), idx.length);
      return k === 0 ? 0 : idx.slice(0, k).reduce((s, i) => s + xs[i]!, 0) / k;
    },
    groups: (e) => this.groupReduce(e),
  } satisfies IrTable<HostValue>;

  private token(name: TokenQuantity): Float64Array {
    const h = this.inputs;
    switch (name) {
      case 'ce': return this.given('ce', h.ce);
      case 'logp': return this.given('ce', h.ce).map((x) => -x);
      case 'p': return this.given('ce', h.ce).map((x) => Math.exp(-x));
      case 'excess': {
        const ref = this.given('refCe', h.refCe);
        return this.given('ce', h.ce).map((x, i) => x - ref[i]!);
      }
      case 'entropy': return this.given('entropy', h.entropy);
      case 'ref_ce': return this.given('refCe', h.refCe);
      case 'reward': return this.given('reward', h.reward);
      case 'advantage': return this.given('advantage', h.advantage);
      case 'position': return Float64Array.from(positionsOf(h.sampleOf));
    }
  }

  private reduceNode(e: ReduceNode): number {
    return this.reduce(e.op, this.tokens(e.arg), e.mask === undefined ? undefined : this.mask(e.mask));
  }

  /** A scalar when every operand is one, else tokens. */
  private elementwise(args: IrExpr[], f: (xs: number[]) => number): HostValue {
    const values = args.map((a) => this.value(a));
    if (values.every((v) => typeof v === 'number')) return f(values as number[]);
    const cols = args.map((a) => this.tokens(a));
    return new Float64Array(this.n).map((_, i) => f(cols.map((c) => c[i]!)));
  }

  private scores(s: ScorerCall): Float64Array {
    const given = this.inputs.scores?.[scorerKey(s)];
    if (given !== undefined) return this.given('scores', given);
    if (s.name === 'loss') return this.given('ce', this.inputs.ce);
    if (s.name === 'entropy') return this.given('entropy', this.inputs.entropy);
    if (s.name === 'excess_loss') {
      const ref = this.given('refCe', this.inputs.refCe);
      return this.given('ce', this.inputs.ce).map((x, i) => x - ref[i]!);
    }
    throw new Error(`inputs.scores["${scorerKey(s)}"] is missing`);
  }

  private rank(e: Extract<IrExpr, { op: 'rank' }>): boolean[] {
    const scores = this.scores(e.scorer);
    const amount = this.scalar(e.amount);
    const top = e.direction === 'top';
    if (e.scope === 'corpus') {
      const t = this.inputs.corpusThresholds?.[rankKey(e, amount)];
      if (t === undefined) throw new Error(`inputs.corpusThresholds["${rankKey(e, amount)}"] is missing`);
      return Array.from(scores, (s) => (top ? s >= t : s <= t));
    }
    // One pool per sample (or the whole batch): its tokens in order of preference, the first ceil(P·n) kept.
    const pools = new Map<number, number[]>();
    for (let i = 0; i < this.n; i++) {
      const key = e.scope === 'batch' ? 0 : this.inputs.sampleOf[i]!;
      const pool = pools.get(key) ?? [];
      pool.push(i);
      pools.set(key, pool);
    }
    const out = new Array<boolean>(this.n).fill(false);
    for (const pool of pools.values()) keepBest(pool, scores, keep(amount, pool.length), top, out);
    return out;
  }

  private reduce(op: 'mean' | 'sum' | 'seqmean', xs: Float64Array, m: boolean[] | undefined): number {
    let sum = 0;
    let count = 0;
    const perSample = new Map<number, { sum: number; count: number }>();
    for (let i = 0; i < this.n; i++) {
      if (m !== undefined && !m[i]) continue;
      sum += xs[i]!;
      count++;
      const s = perSample.get(this.inputs.sampleOf[i]!) ?? { sum: 0, count: 0 };
      s.sum += xs[i]!;
      s.count++;
      perSample.set(this.inputs.sampleOf[i]!, s);
    }
    if (op === 'sum') return sum;
    if (op === 'mean') return count === 0 ? 0 : sum / count;
    if (perSample.size === 0) return 0;
    let total = 0;
    for (const s of perSample.values()) total += s.sum / s.count;
    return total / perSample.size;
  }

  /** A group reduction read inside a mask: detached values only (the loss's own runs on tensors). */
  private groupReduce(e: Extract<IrExpr, { op: 'groups' }>): number {
    const live = e.terms.flatMap((t, g) => (this.mask(t.mask!).some(Boolean) ? [{ g, m: this.scalar(t) }] : []));
    if (live.length === 0) return 0;
    switch (e.fn) {
      case 'max':
        return live.reduce((best, x) => (x.m > best.m ? x : best)).m;
      case 'mean':
        return live.reduce((s, x) => s + x.m, 0) / live.length;
      case 'smoothmax': {
        const t = this.scalar(e.rate!);
        const top = Math.max(...live.map((x) => x.m / t));
        return t * (top + Math.log(live.reduce((s, x) => s + Math.exp(x.m / t - top), 0)));
      }
      case 'dro': {
        const step = this.scalar(e.rate!);
        const q = [...(this.inputs.droWeights ?? e.terms.map(() => 1 / e.terms.length))];
        for (const { g, m } of live) q[g] = q[g]! * Math.exp(step * m);
        const z = q.reduce((a, b) => a + b, 0);
        return live.reduce((s, { g, m }) => s + (q[g]! / z) * m, 0);
      }
    }
  }
}

/**
 * Marks in `out` the first k of `pool` (token indices in position order) in order of preference:
 * higher scores first for `top`, lower for bottom, ties to the earlier position. Found through the
 * k-th best value of a plain numeric sort (no comparator calls: this runs for every sample of
 * every fresh batch), then the strictly better tokens and the earliest of the equal ones.
 */
function keepBest(pool: readonly number[], scores: Float64Array, k: number, top: boolean, out: boolean[]): void {
  if (k === 0) return;
  const values = new Float64Array(pool.length);
  let nan = false;
  for (let j = 0; j < pool.length; j++) {
    values[j] = scores[pool[j]!]!;
    nan ||= Number.isNaN(values[j]);
  }
  if (nan) {
    // NaN has no place in a numeric order: the comparator sort decides, as it always did.
    const sign = top ? -1 : 1;
    const order = [...pool].sort((a, b) => sign * (scores[a]! - scores[b]!) || a - b);
    for (let j = 0; j < k; j++) out[order[j]!] = true;
    return;
  }
  values.sort();
  const threshold = top ? values[values.length - k]! : values[k - 1]!;
  let equal = k;
  for (const i of pool) if (top ? scores[i]! > threshold : scores[i]! < threshold) equal--;
  for (const i of pool) {
    const s = scores[i]!;
    if (top ? s > threshold : s < threshold) out[i] = true;
    else if (s === threshold && equal > 0) {
      out[i] = true;
      equal--;
    }
  }
}

function binary(fn: string, a: number, b: number): number {
  switch (fn) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return a / b;
    case 'pow': return a ** b;
    // Ties keep the first operand, as the language does.
    case 'max': return b > a ? b : a;
    case 'min': return b < a ? b : a;
  }
  throw new Error(`unknown arithmetic ${fn}`);
}

function compare(fn: string, a: number, b: number): boolean {
  switch (fn) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    case '>=': return a >= b;
    case '==': return a === b;
    case '!=': return a !== b;
  }
  throw new Error(`unknown comparison ${fn}`);
}
