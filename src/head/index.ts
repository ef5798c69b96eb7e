// The loss head: per-token ce (and entropy) of softmax(hidden · weightᵀ) with their gradients.
// tokenStats is the fused, vocabulary-chunked head (docs/fused-head.md); referenceTokenStats is the
// unfused formulation with the same results, for tests and small vocabularies.
export { tokenStats, vocabChunks, type TokenStats, type TokenStatsOptions } from './fused-ce.js';
export { referenceTokenStats } from './reference.js';
