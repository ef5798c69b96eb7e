// From the compiled objective IR (src/ir/nodes.ts) to the trainer's StepObjective: every objective
// is lowered by src/lower/ (host masks, tensor graph, fused head; docs/lowering.md). Objectives that
// read static scores or the reference ce need the groupers' precompute pass, which needs the
// tokenizer (and the reference model directory): pass `scores` once those are loaded. Without it,
// such objectives are refused with a message, never trained as something else.
import type { Objective } from '../ir/nodes.js';
import type { GroupersOptions } from '../lower/groupers-source.js';
import { lowerForRun } from '../lower/run-objective.js';
import { lowerObjective, type LoweredObjective } from '../lower/step-objective.js';

/** A LoweredObjective is a StepObjective with `prepareScores` (the precompute pass, problems as messages). */
export type BridgeResult = { ok: true; objective: LoweredObjective } | { ok: false; message: string };

export function stepObjectiveFor(objective: Objective, scores?: GroupersOptions): BridgeResult {
  const lowered = scores === undefined ? lowerObjective(objective) : lowerForRun(objective, scores);
  if (lowered.ok) return { ok: true, objective: lowered.objective };
  return { ok: false, message: lowered.problems.join('\n') };
}
