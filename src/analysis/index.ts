// The analysis stage: compiled IR in, "what does this objective need" out (see analyze.ts).
export {
  analyzeObjective, analyzeObjective as analyze, constantValue, readsModel, groupNamesOf,
  type Analysis, type ObjectiveAnalysis, type Needs, type ScoreNeeds, type CorpusRank,
} from './analyze.js';
