// The loss expression evaluated on tensors: per-token values are [N] vectors over the micro-batch's
// loss tokens (LossTokens order), scalars are rank-0 tensors, and masks arrive precomputed from the
// host (they carry no gradient: membership is a constant per step). Each node is computed once
// (memoised by identity over the CSE'd DAG).
//
// Reductions with a mask are weighted sums with host-computed weights: mean → m/count, sum → m,
// seqmean → m/(count in the sample · samples present). The masked-out values are replaced by 0
// (tf.where) before the product, so an infinite value outside the restriction cannot turn into NaN
// through 0·∞ in the forward pass, and the denominators are host numbers, never 0 (an empty
// restriction has all-zero weights and the value 0). Group reductions skip empty groups from host
// counts; max(groups) picks the largest live group mean on the device (argMax of the detached means:
// strictly greater wins, so ties go to the first; no read-back) and the gradient flows into that term alone.
import { MATH, type TensorOps } from '../language/builtins.js';
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from '../backend/gradients.js';
import { keep } from '../ir/dual.js';
import type { GroupReduceNode, IrExpr, Objective, ReduceNode, ScorerCall, TokenQuantity } from '../ir/nodes.js';
import { dispatch, unreachable, type IrTable } from '../ir/table.js';
import { scorerKey } from '../ir/keys.js';
import type { EvalInputs } from '../ir/eval-inputs.js';
import { HostValues } from '../ir/host-values.js';
import type { DroState } from './dro-state.js';
import { positionsOf } from '../ir/eval-inputs.js';

export interface GraphInputs {
  objective: Objective;
  n: number;
  /** Per-token ce [N], carrying the gradient. */
  ce: tf.Tensor1D;
  /** Per-token entropy [N], where the objective reads it. */
  entropy?: tf.Tensor1D;
  /** Host-side per-token inputs (sampleOf, refCe, reward, advantage, scores) and step, totalSteps, params. */
  host: EvalInputs;
  /** Every mask node the loss uses, evaluated on the host. */
  masks: ReadonlyMap<IrExpr, boolean[]>;
  dro: DroState;
  /** The dro nodes of the loss, in the order of DroState's vectors. */
  droNodes: readonly GroupReduceNode[];
  /** Update q on this evaluation (training, first micro-batch) or only read it. */
  droUpdate: boolean;
}

type Value = tf.Tensor;

/** compare, and, or, not, rank, regex, group: masks, evaluated on the host and read through mask(). */
const MASK_ONLY = unreachable('the tensor graph (masks are evaluated on the host)');

/**
 * The largest of the group means, chosen on the device with no read-back: argMax keeps the first of
 * equal maxima (strictly greater wins, as the reference evaluator), and the gradient flows into the
 * chosen mean alone. A customGrad, so the selection (argMax, equal) is not on the tape: the choice
 * is a constant of the step. The others are replaced by 0 before the sum, so an infinite mean that
 * was not chosen cannot turn the value into NaN.
 */
const maxOfTerms = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const means = args[0] as tf.Tensor1D;
  const save = args[1] as tf.GradSaveFunc;
  const chosen = tf.equal(tf.range(0, means.shape[0], 1, 'int32'), tf.argMax(means));
  save([chosen]);
  return {
    value: tf.sum(tf.where(chosen, means, tf.zerosLike(means))) as tf.Scalar,
    gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => tf.mul(dy, tf.cast(saved[0]!, 'float32')),
  };
}) as (means: tf.Tensor1D) => tf.Scalar;

export class TensorGraph {
  private readonly memo = new Map<IrExpr, Value>();
  private readonly weights = new Map<ReduceNode, Float64Array>();
  private readonly hostClock: HostValues;

  constructor(private readonly g: GraphInputs) {
    this.hostClock = new HostValues(g.objective, { ce: [], sampleOf: [], step: g.host.step, totalSteps: g.host.totalSteps, params: g.host.params });
  }

  /** Loss tokens of this evaluation. */
  get n(): number {
    return this.g.n;
  }

  /** A scalar-typed node as a rank-0 tensor. */
  scalar(e: IrExpr): tf.Scalar {
    const v = this.value(e);
    if (v.rank !== 0) throw new Error(`expected a scalar from ${e.op}`);
    return v as tf.Scalar;
  }

  /** A host scalar needing no tokens: params, schedules, step, progress. */
  hostScalar(e: IrExpr): number {
    return this.hostClock.scalar(e);
  }

  mask(e: IrExpr): boolean[] {
    const m = this.g.masks.get(e);
    if (m === undefined) throw new Error(`mask ${e.op} was not evaluated on the host`);
    return m;
  }

  value(e: IrExpr): Value {
    let v = this.memo.get(e);
    if (v === undefined) {
      v = this.compute(e);
      this.memo.set(e, v);
    }
    return v;
  }

  private constant(xs: readonly number[] | undefined, what: string): tf.Tensor1D {
    if (xs === undefined || xs.length !== this.g.n) throw new Error(`${what} must hold ${this.g.n} values`);
    return tf.tensor1d(xs as number[], 'float32');
  }

  private tokens(v: Value): tf.Tensor1D {
    return (v.rank === 0 ? tf.mul(v, tf.ones([this.g.n])) : v) as tf.Tensor1D;
  }

  private compute(e: IrExpr): Value {
    return dispatch(this.computeTable, e);
  }

  /** How each kind of node becomes a tensor; masks are host inputs, read only through mask(). */
  private readonly computeTable = {
    const: (e) => tf.scalar(e.value),
    param: (e) => tf.scalar(this.hostScalar(e)),
    schedule: (e) => tf.scalar(this.hostScalar(e)),
    step: (e) => tf.scalar(this.hostScalar(e)),
    progress: (e) => tf.scalar(this.hostScalar(e)),
    token: (e) => this.token(e.name),
    unary: (e) => {
      const x = this.value(e.arg);
      // Negation here; the language's math functions from their table entry (src/language/builtins.ts).
      return e.fn === 'neg' ? tf.neg(x) : MATH[e.fn].tensor(x, TENSOR_OPS);
    },
    binary: (e) => {
      const a = this.value(e.left);
      const b = this.value(e.right);
      switch (e.fn) {
        case 'add': return tf.add(a, b);
        case 'sub': return tf.sub(a, b);
        case 'mul': return tf.mul(a, b);
        case 'div': return tf.div(a, b);
        case 'pow': return tf.pow(a, b);
        // tfjs's Maximum/Minimum gradients give ties to the first operand, as the language does.
        case 'max': return tf.maximum(a, b);
        case 'min': return tf.minimum(a, b);
      }
    },
    clip: (e) => tf.minimum(tf.maximum(this.value(e.arg), this.value(e.lo)), this.value(e.hi)),
    where: (e) => {
      const m = this.mask(e.cond);
      const a = this.tokens(this.value(e.then));
      const b = this.tokens(this.value(e.else));
      return tf.where(tf.tensor1d(m, 'bool'), a, b);
    },
    scores: (e) => this.scores(e.scorer),
    mean: (e) => this.weighted(this.value(e.arg), this.reduceWeights(e)),
    sum: (e) => this.weighted(this.value(e.arg), this.reduceWeights(e)),
    seqmean: (e) => this.weighted(this.value(e.arg), this.reduceWeights(e)),
    count: (e) => tf.scalar(this.mask(e.mask).filter(Boolean).length),
    cvar: (e) => this.cvar(e),
    groups: (e) => this.groupReduce(e),
    compare: MASK_ONLY, and: MASK_ONLY, or: MASK_ONLY, not: MASK_ONLY, rank: MASK_ONLY, regex: MASK_ONLY, group: MASK_ONLY,
  } satisfies IrTable<Value>;

  private token(name: TokenQuantity): Value {
    const h = this.g.host;
    switch (name) {
      case 'ce':
        return this.g.ce;
      case 'logp':
        return tf.neg(this.g.ce);
      case 'p':
        return tf.exp(tf.neg(this.g.ce));
      case 'excess':
        return tf.sub(this.g.ce, this.constant(h.refCe, 'ref_ce'));
      case 'entropy':
        if (this.g.entropy === undefined) throw new Error('the head did not compute the entropy');
        return this.g.entropy;
      case 'ref_ce':
        return this.constant(h.refCe, 'ref_ce');
      case 'reward':
        return this.constant(h.reward, 'reward');
      case 'advantage':
        return this.constant(h.advantage, 'advantage');
      case 'position':
        return this.constant(positionsOf(h.sampleOf), 'position');
    }
  }

  /** Raw scores carry no gradient: dynamic ones are the step's own values, stopped. */
  private scores(s: ScorerCall): Value {
    const given = this.g.host.scores?.[scorerKey(s)];
    if (given !== undefined) return this.constant(given, `scores ${scorerKey(s)}`);
    if (s.name === 'loss') return stopGradient(this.g.ce);
    if (s.name === 'entropy') {
      if (this.g.entropy === undefined) throw new Error('the head did not compute the entropy');
      return stopGradient(this.g.entropy);
    }
    if (s.name === 'excess_loss') return tf.sub(stopGradient(this.g.ce), this.constant(this.g.host.refCe, 'ref_ce'));
    throw new Error(`scores of ${scorerKey(s)} are missing`);
  }

  /**
   * Host weights of a mean/sum/seqmean over its restriction; memoised per node (the loss and the
   * metrics read the same ones), so callers must not modify them.
   */
  reduceWeights(e: ReduceNode): Float64Array {
    let w = this.weights.get(e);
    if (w === undefined) {
      w = this.computeWeights(e);
      this.weights.set(e, w);
    }
    return w;
  }

  private computeWeights(e: ReduceNode): Float64Array {
    const n = this.g.n;
    const m = e.mask === undefined ? undefined : this.mask(e.mask);
    const w = new Float64Array(n);
    if (e.op === 'seqmean') {
      const sampleOf = this.g.host.sampleOf;
      const perSample = new Map<number, number>();
      for (let i = 0; i < n; i++) if (m === undefined || m[i]) perSample.set(sampleOf[i]!, (perSample.get(sampleOf[i]!) ?? 0) + 1);
      for (let i = 0; i < n; i++) if (m === undefined || m[i]) w[i] = 1 / (perSample.get(sampleOf[i]!)! * perSample.size);
      return w;
    }
    let count = 0;
    for (let i = 0; i < n; i++) if (m === undefined || m[i]) count++;
    const each = e.op === 'sum' ? 1 : 1 / count;
    for (let i = 0; i < n; i++) if (m === undefined || m[i]) w[i] = each;
    return w;
  }

  /** Σ w_t·x_t, with x replaced by 0 where w is 0. */
  private weighted(x: Value, w: ArrayLike<number>): tf.Scalar {
    if (x.rank === 0) {
      let total = 0;
      for (let i = 0; i < w.length; i++) total += w[i]!;
      return tf.mul(x, total) as tf.Scalar;
    }
    const chosen = tf.tensor1d(Array.from(w, (v) => v !== 0), 'bool');
    return tf.sum(tf.mul(tf.where(chosen, x, tf.zerosLike(x)), tf.tensor1d(Float32Array.from(w), 'float32'))) as tf.Scalar;
  }

  /** Mean of the top ceil(P·n) values of the restriction; which ones is decided on detached values. */
  private cvar(e: Extract<IrExpr, { op: 'cvar' }>): Value {
    const x = this.tokens(this.value(e.arg));
    const m = e.mask === undefined ? undefined : this.mask(e.mask);
    const values = x.dataSync();
    const chosen = Array.from(values, (v, i) => ({ v, i })).filter(({ i }) => m === undefined || m[i]);
    const k = keep(this.hostScalar(e.fraction), chosen.length);
    chosen.sort((a, b) => b.v - a.v || a.i - b.i);
    const w = new Array<number>(this.g.n).fill(0);
    for (const { i } of chosen.slice(0, k)) w[i] = 1 / k;
    return this.weighted(x, w);
  }

  /** Which terms of a group reduction have tokens (host counts). */
  liveTerms(e: GroupReduceNode): boolean[] {
    return e.terms.map((t) => this.mask(t.mask!).some(Boolean));
  }

  /**
   * The live terms' values. When they all reduce the token ce (the usual `max(groups)` of group
   * means of ce) they are computed together: one where and one [G, N]·[N] product with the host
   * weights, instead of a where, a product and a sum per group; each term's scalar is memoised from
   * that vector (the metrics read them). Same values, same gradient (the product's gradient is
   * Wᵀ·dy), fewer kernels: the per-kernel overhead is what SFT-GO adds to an SFT step on small
   * models. Only for ce: it is finite wherever the logits are, so a group's zero weights never meet
   * an infinity (0·∞) from another group's tokens; other values keep one where per group.
   */
  private termValues(e: GroupReduceNode, liveIdx: number[]): { scalars: tf.Scalar[]; vector: tf.Tensor1D } {
    const terms = liveIdx.map((g) => e.terms[g]!);
    const arg = terms[0]!.arg;
    const x = this.value(arg);
    const isCe = arg.op === 'token' && arg.name === 'ce';
    if (!isCe || terms.length < 2 || x.rank !== 1 || terms.some((t) => t.arg !== arg || this.memo.has(t))) {
      const scalars = terms.map((t) => this.scalar(t));
      return { scalars, get vector() { return tf.stack(scalars) as tf.Tensor1D; } };
    }
    const n = this.g.n;
    const weights = new Float32Array(terms.length * n);
    const inAny = new Array<boolean>(n).fill(false);
    terms.forEach((t, row) => {
      this.reduceWeights(t).forEach((w, i) => {
        weights[row * n + i] = w;
        if (w !== 0) inAny[i] = true;
      });
    });
    const safe = tf.where(tf.tensor1d(inAny, 'bool'), x, tf.zerosLike(x));
    const vector = tf.reshape(tf.matMul(tf.tensor2d(weights, [terms.length, n]), tf.reshape(safe, [n, 1])), [terms.length]) as tf.Tensor1D;
    const scalars = tf.unstack(vector) as tf.Scalar[];
    terms.forEach((t, i) => this.memo.set(t, scalars[i]!));
    return { scalars, vector };
  }

  private groupReduce(e: GroupReduceNode): Value {
    const live = this.liveTerms(e);
    const liveIdx = live.flatMap((x, g) => (x ? [g] : []));
    if (liveIdx.length === 0) return tf.scalar(0);
    const values = this.termValues(e, liveIdx);
    const terms = values.scalars;
    switch (e.fn) {
      case 'max': {
        if (terms.length === 1) return terms[0]!;
        return maxOfTerms(values.vector);
      }
      case 'mean':
        return tf.div(tf.addN(terms), liveIdx.length);
      case 'smoothmax': {
        const t = this.hostScalar(e.rate!);
        return tf.mul(tf.logSumExp(tf.div(values.vector, t)), t);
      }
      case 'dro': {
        const node = this.g.droNodes.indexOf(e);
        let q = this.g.dro.current(node);
        if (this.g.droUpdate) {
          const means = new Array<number>(e.terms.length).fill(0);
          liveIdx.forEach((g, i) => (means[g] = terms[i]!.dataSync()[0]!));
          q = this.g.dro.update(node, this.hostScalar(e.rate!), means, live);
        }
        return tf.sum(tf.mul(values.vector, tf.tensor1d(liveIdx.map((g) => q[g]!), 'float32')));
      }
    }
  }
}

/** The tensor primitives the math functions' table entries are written with. */
const TENSOR_OPS: TensorOps<tf.Tensor> = {
  exp: (x) => tf.exp(x),
  log: (x) => tf.log(x),
  sqrt: (x) => tf.sqrt(x),
  mul: (a, b) => tf.mul(a, b),
  sign: (x) => tf.sign(x),
  stopGradient: (x) => stopGradient(x),
};
