// The loss tokens of a micro-batch as one compact list: every `tokens` value of the language ranges
// over these (LANGUAGE.md §4), in row-major batch order, so the device graph works on [N] vectors
// exactly like the reference evaluator's per-token arrays (EvalInputs), and the head only computes
// ce for these N positions instead of the padded [B, T] grid.
import type { Batch } from '../data/types.js';

export interface LossTokens {
  n: number;
  /** Index b·seq + t into the batch's [B, T] grid of each loss token. */
  flat: Int32Array;
  /** Batch row (its sample) of each loss token: the reference evaluator's `sampleOf`. */
  row: number[];
  /** Index into the sample's ids of the token being predicted (t + 1). */
  tokenIndex: number[];
  /** Target id of each loss token. */
  targets: Int32Array;
}

export function lossTokensOf(batch: Batch): LossTokens {
  const flat: number[] = [];
  for (let i = 0; i < batch.lossMask.length; i++) if (batch.lossMask[i] !== 0) flat.push(i);
  const row = flat.map((i) => Math.floor(i / batch.seqLen));
  return {
    n: flat.length,
    flat: Int32Array.from(flat),
    row,
    tokenIndex: flat.map((i) => (i % batch.seqLen) + 1),
    targets: Int32Array.from(flat, (i) => batch.targets[i]!),
  };
}

/** The decoded text of each loss token (its character span of the rendered sample), for regex(). */
export function tokenTexts(batch: Batch, tokens: LossTokens): string[] {
  return tokens.row.map((r, i) => {
    const sample = batch.samples[r]!;
    const span = sample.offsets[tokens.tokenIndex[i]!];
    return span === undefined ? '' : sample.text.slice(span[0], span[1]);
  });
}
