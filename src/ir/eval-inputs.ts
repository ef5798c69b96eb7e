// The per-token inputs of one evaluation of an objective, shared by the reference evaluator
// (reference-eval.ts), the tensor path (src/lower/) and the groups view: what a step knows about
// its loss tokens, laid out one entry per loss token in batch order.
export interface EvalInputs {
  /** Sample index of each loss token, in batch order; tokens of a sample are contiguous or not. */
  sampleOf: number[];
  ce: number[];
  entropy?: number[];
  refCe?: number[];
  /** Per-token copies of the sample's reward and advantage. */
  reward?: number[];
  advantage?: number[];
  /** Scores by scorer key (`formatScorer(s, true)`, e.g. `tfidf(smooth = true, sublinear = false)`). */
  scores?: Record<string, number[]>;
  /** Decoded text of each token, for regex groups. */
  text?: string[];
  /** Score thresholds of `per corpus` ranks, by `rankKey(node)`. */
  corpusThresholds?: Record<string, number>;
  step?: number;
  totalSteps?: number;
  /** Param values that replace the compiled ones. */
  params?: Record<string, number>;
  /** Group DRO weights before this step (default uniform), in partition order with rest last. */
  droWeights?: number[];
}

/** Index of each token within its sample's loss tokens, from 0 (the `position` quantity). */
export function positionsOf(sampleOf: readonly number[]): number[] {
  const seen = new Map<number, number>();
  return sampleOf.map((s) => {
    const p = seen.get(s) ?? 0;
    seen.set(s, p + 1);
    return p;
  });
}
