// One evaluation of a compiled objective on one set of loss tokens: the host evaluates every mask
// (selectors, comparisons, the partition) on detached values with the lowering's own code
// (./host-values.ts), then the loss graph runs on tensors. Shared by the trainer's StepObjective and
// the library's evaluateObjective, so the tests of the one cover the other.
import * as tf from '@tensorflow/tfjs';
import type { IrExpr, Objective } from '../ir/nodes.js';
import type { EvalInputs } from '../ir/eval-inputs.js';
import { HostValues } from './host-values.js';
import type { ObjectiveAnalysis } from '../analysis/index.js';
import type { DroState } from './dro-state.js';
import { TensorGraph } from './tensor-graph.js';

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
  /** In partition order (rest last); empty without declared groups. */
  groups: GroupStat[];
  /** Each token's group index, when there are groups. */
  partition?: number[];
  graph: TensorGraph;
}

export function execute(o: Objective, analysis: ObjectiveAnalysis, inputs: ExecuteInputs): Execution {
  const { masks, partition: hostPartition } = inputs.hostMasks ?? evaluateHostMasks(o, analysis, inputs.host);
  const droNodes = analysis.groupReductions.filter((g) => g.fn === 'dro');
  const graph = new TensorGraph({
    objective: o, n: inputs.n, ce: inputs.ce, entropy: inputs.entropy, host: inputs.host, masks, dro: inputs.dro, droNodes, droUpdate: inputs.droUpdate,
  });
  const loss = graph.scalar(o.loss);
  if (o.partition.groups.length === 0) return { loss, groups: [], graph };

  // Metrics: the first group reduction's own terms (its `of` quantity), else ce per group.
  const reduction = analysis.groupReductions[0];
  if (reduction !== undefined) {
    const groups = reduction.terms.map((t) => ({ loss: graph.scalar(t), tokens: graph.mask(t.mask!).filter(Boolean).length }));
    return { loss, groups, partition: hostPartition, graph };
  }
  const partition = hostPartition!;
  const groups: GroupStat[] = [];
  for (let g = 0; g <= o.partition.groups.length; g++) {
    const count = partition.filter((x) => x === g).length;
    const w = partition.map((x) => (x === g ? 1 / count : 0));
    const chosen = tf.tensor1d(partition.map((x) => x === g), 'bool');
    const mean = tf.sum(tf.mul(tf.where(chosen, inputs.ce, tf.zerosLike(inputs.ce)), tf.tensor1d(w, 'float32'))) as tf.Scalar;
    groups.push({ loss: mean, tokens: count });
  }
  return { loss, groups, partition, graph };
}
