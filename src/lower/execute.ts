// One evaluation of a compiled objective on one set of loss tokens: the host evaluates every mask
// (selectors, comparisons, the partition) on detached values with the lowering's own code
// (./host-values.ts), then the loss graph runs on tensors. Shared by the trainer's StepObjective and
// the library's evaluateObjective, so the tests of the one cover the other.
import * as tf from '@tensorflow/tfjs';
import type { IrExpr, Objective } from '../ir/nodes.js';
import type { EvalInputs } from '../ir/eval-inputs.js';
import { HostValues } from '../ir/host-values.js';
import type { ObjectiveAnalysis } from '../analysis/index.js';
import type { DroState } from './dro-state.js';
import { TensorGraph } from './tensor-graph.js';
import { compileLinearLoss, type LinearLoss } from './linear-form.js';
import { linearLossValue, rowValues } from './linear-loss.js';

export interface ExecuteInputs {
  n: number;
  ce: tf.Tensor1D;
  entropy?: tf.Tensor1D;
  /** Host-side per-token inputs; `ce`/`entropy` there are the detached values (zeros when no mask reads them). */
  host: EvalInputs;
  dro: DroState;
  droUpdate: boolean;
  /** The host masks and partition of these inputs, when the caller already has them (a cached static batch). */
  hostMasks?: HostMasks;
}

/** Every mask the loss uses and the partition (when groups exist), evaluated on the host. */
export interface HostMasks {
  masks: ReadonlyMap<IrExpr, boolean[]>;
  partition?: number[];
}

/** Every mask the loss reads and the partition, over the host inputs (one evaluation, shared nodes computed once). */
export function evaluateHostMasks(o: Objective, analysis: ObjectiveAnalysis, host: EvalInputs): HostMasks {
  const values = new HostValues(o, host);
  const masks = new Map<IrExpr, boolean[]>(analysis.masks.map((m) => [m, values.mask(m)]));
  return { masks, partition: o.partition.groups.length > 0 ? values.partition() : undefined };
}

export interface GroupStat {
  /** Token mean of the group's `of` quantity (ce unless a group reduction says otherwise); 0 when empty. */
  loss: tf.Scalar;
  tokens: number;
}

export interface Execution {
  loss: tf.Scalar;
  /** The token mean of ce over all loss tokens (what the trainer reports as ce). */
  ce: tf.Scalar;
  /** In partition order (rest last); empty without declared groups. */
  groups: GroupStat[];
  /** Each token's group index, when there are groups. */
  partition?: number[];
  graph: TensorGraph;
}

/** Each objective's loss compiled once for the linear fast path (null: it is not linear in ce). */
const linearLosses = new WeakMap<Objective, LinearLoss | null>();

function linearLossOf(o: Objective): LinearLoss | undefined {
  let l = linearLosses.get(o);
  if (l === undefined) {
    l = compileLinearLoss(o.loss) ?? null;
    linearLosses.set(o, l);
  }
  return l ?? undefined;
}

export function execute(o: Objective, analysis: ObjectiveAnalysis, inputs: ExecuteInputs): Execution {
  const { masks, partition } = inputs.hostMasks ?? evaluateHostMasks(o, analysis, inputs.host);
  const droNodes = analysis.groupReductions.filter((g) => g.fn === 'dro');
  const graph = new TensorGraph({
    objective: o, n: inputs.n, ce: inputs.ce, entropy: inputs.entropy, host: inputs.host, masks, dro: inputs.dro, droNodes, droUpdate: inputs.droUpdate,
  });
  const n = inputs.n;
  // The loss: linear in ce (one op, linear-loss.ts) or node by node (tensor-graph.ts).
  const form = n > 0 ? linearLossOf(o)?.(graph) : undefined;
  const loss = form !== undefined ? linearLossValue(inputs.ce, form) : graph.scalar(o.loss);

  // Metrics: ce over all tokens, and per group the first group reduction's own terms (its `of`
  // quantity), else ce per group. When they all reduce ce: one product, else node by node.
  const rows = groupRows(o, analysis, graph, partition);
  if (rows !== undefined && n > 0) {
    const [ce, ...means] = rowValues(inputs.ce, [new Float64Array(n).fill(1 / n), ...rows.map((g) => g.weights)]);
    return { loss, ce: ce!, groups: rows.map((g, i) => ({ loss: means[i]!, tokens: g.tokens })), partition, graph };
  }
  const ce = tf.mean(inputs.ce) as tf.Scalar;
  const terms = analysis.groupReductions[0]?.terms;
  const groups = terms !== undefined
    ? terms.map((t) => ({ loss: graph.scalar(t), tokens: graph.mask(t.mask!).filter(Boolean).length }))
    : (rows ?? []).map((g) => ({ loss: tf.scalar(0), tokens: g.tokens })); // no tokens: every group is empty
  return { loss, ce, groups, partition, graph };
}

/** Per group (partition order, rest last): the weights of its metric over the tokens, and its token count. */
interface GroupRow {
  weights: Float64Array;
  tokens: number;
}

/**
 * The metrics' rows when they are reductions of ce: the first group reduction's own terms (its
 * `of` quantity), else ce per group; undefined when they reduce something else.
 */
function groupRows(o: Objective, analysis: ObjectiveAnalysis, graph: TensorGraph, partition: number[] | undefined): GroupRow[] | undefined {
  if (o.partition.groups.length === 0) return [];
  const reduction = analysis.groupReductions[0];
  if (reduction !== undefined) {
    if (!reduction.terms.every((t) => t.arg.op === 'token' && t.arg.name === 'ce')) return undefined;
    return reduction.terms.map((t) => ({ weights: graph.reduceWeights(t), tokens: graph.mask(t.mask!).filter(Boolean).length }));
  }
  const groups: GroupRow[] = [];
  for (let g = 0; g <= o.partition.groups.length; g++) {
    const count = partition!.filter((x) => x === g).length;
    groups.push({ weights: Float64Array.from(partition!, (x) => (x === g ? 1 / count : 0)), tokens: count });
  }
  return groups;
}
