// From the compiled objective IR (src/ir/nodes.ts) to the trainer's StepObjective. Only the plain
// token-mean cross-entropy (`loss = mean(ce)`, stdlib/sft.sftgo) is executed today; the grouped
// objectives (SFT-GO, Rho-1, DFT, GFT, Group DRO) are lowered onto StepObjective by the objective
// executor when it lands. Until then they are refused with a message, never trained as something else.
import type { Objective } from '../ir/nodes.js';
import { meanCe, type StepObjective } from '../train/objective.js';
import { paramValues } from './param-values.js';

export type BridgeResult = { ok: true; objective: StepObjective } | { ok: false; message: string };

export function stepObjectiveFor(objective: Objective): BridgeResult {
  const loss = objective.loss;
  const isMeanCe = loss.op === 'mean' && loss.mask === undefined && loss.arg.op === 'token' && loss.arg.name === 'ce';
  if (isMeanCe && objective.partition.groups.length === 0) {
    return { ok: true, objective: { ...meanCe, name: objective.name, paramValues: (ctx) => paramValues(objective, ctx) } };
  }
  return {
    ok: false,
    message:
      `${objective.file}: objective '${objective.name}' compiles, but this build of sftgoc can only train ` +
      '`loss = mean(ce)` (grouped and weighted objectives are not executable yet)',
  };
}
