// One import line for the grouper tests.
export { partitionSamples, prepareScores, REF_CE_KEY, ScoreStore } from '../../src/groupers/index.js';
export { scorerKey } from '../../src/ir/reference-eval.js';
