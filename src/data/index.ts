// Public surface of the data module.
export type { Batch, DataError, DataFormat, DatasetStats, LossOn, Sample } from './types.js';
export { emptyStats, loadDataset, loadDatasetFromText, type LoadOptions, type LoadedDataset } from './dataset.js';
export { collate, makeBatches, type BatchOptions } from './batch.js';
export { formatDataError, parseJsonl, type ParsedFile, type ParsedRecord } from './jsonl.js';
export { groupAdvantages, renderRecord, type Rendered } from './render.js';
export { DATA_FORMATS, detectFormat, validateFacts, validateRecord } from './schema.js';
export { mixSeed, mulberry32, shuffled } from '../util/prng.js';
export { loadTextCorpus, type CorpusOptions } from './corpus.js';
export { loadPrompts, type LoadedPrompts, type PromptLoadOptions, type PromptRecord, type PromptStats } from './prompts.js';
