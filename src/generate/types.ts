// Generation as both engines see it: token-id prompts in, sampled continuations out. Types only
// (no TensorFlow.js, no child processes), so commands can name them without loading an engine.
//
// The sampling rule is fixed here so both engines draw the same tokens from the same logits
// (src/generate/sampling.ts and the torch program's sftgoc_generate.py implement it line for line):
//   - every output row (prompt p, sample j) has its own stream: mulberry32(mixSeed(seed, p·n + j)),
//     so a row's samples do not depend on the batch it was decoded in;
//   - temperature 0 is greedy (argmax, the lowest id on ties) and draws nothing from the stream;
//   - otherwise z = logits / T in float64; top-k keeps the k largest (value descending, id
//     ascending on ties); softmax over the kept; top-p keeps the shortest prefix of that order whose
//     probability reaches P (at least one token); one u = rng() walks the kept tokens in that order
//     and takes the first whose running sum exceeds u·(kept mass) (the last one if rounding says none);
//   - the reported log-probability is the model's own: log softmax of the raw logits (temperature 1,
//     nothing cut), in float64, summed over the completion's tokens and the eos that ended it.

/** Decoding settings of one request. */
export interface DecodeOptions {
  /** New tokens per completion at most (≥ 1; prompt + maxNew ≤ the model's positions). */
  maxNew: number;
  /** 0 is greedy. */
  temperature: number;
  /** 0 keeps every token. */
  topK: number;
  /** 1 keeps every token. */
  topP: number;
  /** Completions per prompt. */
  n: number;
  /** Seeds every row's stream (see above). */
  seed: number;
}

/** What an engine decodes: prompts as token ids, the model, the options, the end-of-sequence id. */
export interface DecodeRequest {
  /** A Hugging Face model directory (config.json, model.safetensors). */
  modelDir: string;
  prompts: ReadonlyArray<readonly number[]>;
  options: DecodeOptions;
  eosId: number;
  /** Rows decoded together at most (memory of the key/value cache); default: all of them. */
  batch?: number;
}

/** The raw continuation of one row, before stop strings are applied (src/generate/stops.ts). */
export interface DecodedRow {
  prompt: number;
  sample: number;
  /** The generated ids, without the eos that ended the row. */
  ids: number[];
  /** log p of each generated id under the model (float64 from float32 logits), and of the eos last when finish is 'eos'. */
  logprobs: number[];
  finish: 'eos' | 'length';
}

/** A completion as `generate` writes it (one JSONL record). */
export interface Completion {
  prompt: string;
  /** Which of the prompt's n samples. */
  sample: number;
  completion: string;
  ids: number[];
  /** 'stop' when a --stop string ended it (the string itself is cut from the completion). */
  finish: 'eos' | 'length' | 'stop';
  /** Sum of the kept tokens' log-probabilities (and the eos's, when it ended the completion). */
  logprob: number;
}

/** Progress of a long request, for a progress bar: rows finished out of rows. */
export type DecodeProgress = (done: number, total: number) => void;
