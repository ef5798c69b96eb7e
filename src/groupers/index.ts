// Public surface of the groupers: the static token scorers of LANGUAGE.md §6, their cache, the
// reference model's ce, and the host-side partition. The objective executor (src/lower/) calls
//   const r = await prepareScores(objective, {train, eval}, {tokenizer, cacheDir, log, referenceDir});
// once in StepObjective.prepare, then per micro-batch reads r.store.forBatch(batch.batch) (or
// forSamples / texts / corpusThresholds). Keys are scorerKey(call) from src/ir/reference-eval.ts;
// `ref_ce` is under REF_CE_KEY. Dynamic scorers (loss(), excess_loss(), entropy()) are not stored:
// they follow from the step's detached ce / entropy and ref_ce. See docs/groupers.md.
export { prepareScores, corpusThreshold, type PrepareOptions, type PrepareResult, type PrepareSamples } from './prepare.js';
export { ScoreStore, REF_CE_KEY } from './store.js';
export type { SampleScores } from './sample-scores.js';
export { partitionSamples, type DynamicValues, type PartitionOptions } from './partition.js';
export { tfidfScores, fitIdf, idfOf } from './tfidf.js';
export { frequencyScores } from './frequency.js';
export { randomScores, randomScore } from './random.js';
export { columnScores } from './column.js';
export { tokenTexts } from './token-text.js';
export { cacheKey } from './cache.js';
export { prepareNeeds, needsOf, type ScoreNeedsSpec } from './prepare.js';
