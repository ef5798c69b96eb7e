// What `sftgoc eval` calls (the tfjs engine lowers through step-objective.ts itself): a compiled
// objective lowered for evaluation, with the groupers' precompute pass as its score source when it
// reads static scores or the reference ce.
import { dirname, resolve } from 'node:path';
import type { Objective } from '../ir/nodes.js';
import { analyzeObjective } from '../analysis/index.js';
import { GroupersScoreSource, type GroupersOptions } from './groupers-source.js';
import { lowerObjective, type LowerResult } from './step-objective.js';

export function lowerForRun(objective: Objective, options: GroupersOptions, analysis = analyzeObjective(objective)): LowerResult {
  const needs = analysis.scores;
  const wantsSource = needs.scorers.size > 0 || needs.refCe || needs.corpusRanks.length > 0;
  const scores = wantsSource
    ? new GroupersScoreSource({ baseDir: dirname(resolve(objective.file)), ...options }, objective.name)
    : undefined;
  return lowerObjective(objective, { scores, analysis });
}
