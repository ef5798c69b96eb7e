// Tokenised training data as the trainer, the groupers and the loss head see it.

/** One training sample: a prompt and response already rendered and tokenised. */
export interface Sample {
  /** Index in the (unshuffled) data file after skipping bad records; stable across runs. */
  index: number;
  /** Token ids of the whole sequence (prompt and response), truncated to max_len. */
  ids: number[];
  /**
   * lossMask[t] is true when token t carries a loss (a response token for most formats). The model
   * predicts token t from positions < t, so token 0 never carries a loss.
   */
  lossMask: boolean[];
  /** Character span [start, end) of token t in `text`, for regex() and column() scorers. */
  offsets: Array<[number, number]>;
  /** The rendered text that `offsets` index. */
  text: string;
  /** Sequence-level values (`responses` format); 0 elsewhere. */
  reward: number;
  advantage: number;
  /** `scores: {FIELD: [{start, end, score}]}` from the record, character spans of `text`. */
  spanScores: Record<string, Array<{ start: number; end: number; score: number }>>;
  /** Source location for error messages: file and 1-based line. */
  source: { file: string; line: number };
}

/** A padded batch in row-major [batch, seq] layout, ready to become tensors. */
export interface Batch {
  batchSize: number;
  seqLen: number;
  /** Input ids [batch*seq]; padding uses the tokenizer's pad id (or 0). */
  inputIds: Int32Array;
  /** targets[b*seq + t] is the id of token t+1 of sample b (0 where there is none). */
  targets: Int32Array;
  /** 1 where targets[i] carries a loss, else 0 (padding, prompt, last position). */
  lossMask: Float32Array;
  /** The samples, in batch order, for groupers that need text or span scores. */
  samples: Sample[];
}

/**
 * The record formats of LANGUAGE.md §9; `auto` picks one from the first record's fields. `prompts`
 * (questions for generation) has no response, so it is read by loadPrompts only, never trained on.
 */
export type DataFormat = 'alpaca' | 'chat' | 'prompt-completion' | 'text' | 'responses' | 'prompts';

/** Which tokens carry a loss: the response (assistant turns, completions) or every token. */
export type LossOn = 'response' | 'all';

/** A bad record or file: `FILE:LINE: POINTER: message`. Errors are data, collected, never thrown. */
export interface DataError {
  file: string;
  /** 1-based line of the JSON Lines file; 0 for the file as a whole. */
  line: number;
  /** JSON pointer into the record (`/messages/2/role`); '' for the record (or file) as a whole. */
  pointer: string;
  message: string;
}

export interface DatasetStats {
  /** Non-blank lines read. */
  records: number;
  /** Bad records skipped (with skipBadRecords). */
  skipped: number;
  /** Samples (a `responses` record gives one per response). */
  samples: number;
  /** Samples cut at max_len (dropped ones included). */
  truncated: number;
  /** Samples dropped because max_len cut off every token that carried a loss (their whole response). */
  dropped: number;
  /** Tokens of all samples after truncation. */
  tokens: number;
  /** Tokens that carry a loss. */
  lossTokens: number;
}
