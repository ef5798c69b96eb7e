// Public surface of the tokenizer module.
export type { ChatMessage, EncodeOptions, Encoded, Offset, Tokenizer, TokenizerLoadError, TokenizerLoadResult } from './types.js';
export { formatTokenizerErrors, loadTokenizer } from './hf-tokenizer.js';
export { alignOffsets } from './offsets.js';
