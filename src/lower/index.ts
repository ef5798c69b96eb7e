// The lowering stage's library entry (it imports TensorFlow.js, so it is separate from src/index.ts):
// lower a compiled objective onto the trainer, or evaluate it with the trainer's own tensor path on
// explicit per-token inputs — the same inputs as the reference evaluator (src/ir/reference-eval.ts),
// so the two can be compared. See docs/lowering.md.
import * as tf from '@tensorflow/tfjs';
import type { Objective } from '../ir/nodes.js';
import type { EvalInputs } from '../ir/reference-eval.js';
import { analyzeObjective, groupNamesOf } from '../analysis/index.js';
import { DroState } from './dro-state.js';
import { execute } from './execute.js';

export { DEFAULT_HEAD_CHUNK } from '../head/chunk-size.js';
export { lowerObjective, type LowerOptions, type LowerResult, type LoweredObjective } from './step-objective.js';
export { arrayScoreSource, type ScoreSource, type ScoreNeeds, type BatchScores, type BatchScoreRequest, type CorpusRank, type SampleArrays } from './score-source.js';
export { lossTokensOf, type LossTokens } from './loss-tokens.js';
export { analyzeObjective, type ObjectiveAnalysis } from '../analysis/index.js';
export { DroState, type DroSnapshot } from './dro-state.js';
export type { EvalInputs } from '../ir/reference-eval.js';
export { lowerForRun } from './run-objective.js';
export { GroupersScoreSource, type GroupersOptions } from './groupers-source.js';

export interface TensorEvalResult {
  /** The loss (float32 arithmetic). */
  value: number;
  /** ∂loss/∂ce_t for every token, by tf.grads through the tensor graph. */
  dLossDce: number[];
  /** Each token's group (partition order, rest last) when there are groups, and the names. */
  groupOf?: number[];
  groupNames: string[];
  /** Per group: token-mean of its `of` quantity and token count. */
  groups: Array<{ loss: number; tokens: number }>;
  /** Group DRO weights after this evaluation (it updates them, as one training step does). */
  droWeights?: number[];
}

/**
 * Evaluates `objective` on explicit inputs with the trainer's tensor path. `inputs.entropy` is a
 * constant here (it has no ce gradient); `inputs.droWeights` are the weights before this step.
 */
export function evaluateObjective(objective: Objective, inputs: EvalInputs): TensorEvalResult {
  const analysis = analyzeObjective(objective);
  const n = inputs.ce.length;
  if (inputs.sampleOf.length !== n) throw new Error(`inputs.sampleOf must hold ${n} values`);
  const droSizes = analysis.groupReductions.filter((g) => g.fn === 'dro').map((g) => g.terms.length);
  const dro = new DroState(droSizes);
  if (inputs.droWeights !== undefined && droSizes.length > 0) dro.set(0, inputs.droWeights);
  let result: TensorEvalResult | undefined;
  tf.tidy(() => {
    const ce = tf.tensor1d(inputs.ce, 'float32');
    const entropy = inputs.entropy === undefined ? undefined : tf.tensor1d(inputs.entropy, 'float32');
    let groups: Array<{ loss: number; tokens: number }> = [];
    let groupOf: number[] | undefined;
    const run = (x: tf.Tensor, update: boolean) => {
      const r = execute(objective, analysis, { n, ce: x as tf.Tensor1D, entropy, host: inputs, dro, droUpdate: update });
      groups = r.groups.map((g) => ({ loss: g.loss.dataSync()[0]!, tokens: g.tokens }));
      groupOf = r.partition;
      return r.loss;
    };
    let value: number;
    let dLossDce: number[];
    const before = dro.snapshot();
    try {
      const out = tf.valueAndGrads((x: tf.Tensor) => run(x, true))([ce]);
      value = out.value.dataSync()[0]!;
      dLossDce = Array.from(out.grads[0]!.dataSync());
    } catch (e) {
      // tf.grads refuses a loss that does not depend on its input (no ce in it, or every group
      // empty): the weights are 0 by definition. Evaluate once more from the same DRO state.
      if (!/Cannot compute gradient/.test((e as Error).message)) throw e;
      dro.restore(before);
      value = run(ce, true).dataSync()[0]!;
      dLossDce = new Array<number>(n).fill(0);
    }
    result = {
      value, dLossDce, groupOf, groupNames: groupNamesOf(objective), groups,
      droWeights: droSizes.length > 0 ? dro.current(0) : undefined,
    };
  });
  return result!;
}
