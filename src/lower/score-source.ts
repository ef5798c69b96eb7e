// The small interface the executor needs from the groupers (src/groupers/, engineer S): per-token
// static scores and reference ce for the loss tokens of one micro-batch, computed (and cached)
// before training. The executor never computes a static scorer itself; it asks a ScoreSource.
// `arrayScoreSource` serves explicit per-sample arrays: for tests, and for callers that computed
// the scores some other way.
import type { Sample } from '../data/types.js';
import type { ScoreNeeds } from '../analysis/index.js';
import type { PrepareContext } from '../train/objective.js';
import type { LossTokens } from './loss-tokens.js';

export type { CorpusRank, ScoreNeeds } from '../analysis/index.js';

export interface BatchScoreRequest {
  /** The micro-batch's samples, by batch row. */
  samples: readonly Sample[];
  tokens: LossTokens;
  needs: ScoreNeeds;
  /** The caller reads each token's text (a regex selector): only then does a source decode it. */
  text?: boolean;
}

/** Per loss token of the micro-batch (in LossTokens order). */
export interface BatchScores {
  scores: Record<string, number[]>;
  refCe?: number[];
  corpusThresholds?: Record<string, number>;
  /** Each token's text for regex(), when the source knows it better than the sample's offsets. */
  text?: string[];
}

export interface ScoreSource {
  /** Precomputation over the whole data set (static scores, reference ce, corpus thresholds); problems as messages. */
  prepare?(context: PrepareContext, needs: ScoreNeeds): Promise<string[]>;
  batchScores(request: BatchScoreRequest): BatchScores;
}

export interface SampleArrays {
  /** Per sample (by Sample.index), by scorer key: one score per token of `sample.ids`. */
  scores?: ReadonlyMap<number, Record<string, readonly number[]>>;
  /** Per sample (by Sample.index): the reference model's ce of each token of `sample.ids`. */
  refCe?: ReadonlyMap<number, readonly number[]>;
  corpusThresholds?: Record<string, number>;
}

/** Missing data is an error naming the sample and the key: never a silent zero score. */
export function arrayScoreSource(arrays: SampleArrays): ScoreSource {
  const pick = (table: ReadonlyMap<number, readonly number[]> | undefined, what: string, request: BatchScoreRequest): number[] =>
    request.tokens.row.map((row, i) => {
      const sample = request.samples[row]!;
      const values = table?.get(sample.index);
      const v = values?.[request.tokens.tokenIndex[i]!];
      if (v === undefined) throw new Error(`no ${what} for token ${request.tokens.tokenIndex[i]} of sample ${sample.index} (${sample.source.file}:${sample.source.line})`);
      return v;
    });
  // Per scorer key, the samples' arrays: built once, not per micro-batch (a corpus may be large).
  const tables = new Map<string, Map<number, readonly number[]>>();
  const tableOf = (key: string) => {
    let table = tables.get(key);
    if (table === undefined) {
      table = new Map([...(arrays.scores ?? new Map<number, Record<string, readonly number[]>>())].map(([s, r]) => [s, r[key]!] as const).filter(([, v]) => v !== undefined));
      tables.set(key, table);
    }
    return table;
  };
  return {
    batchScores(request) {
      const scores: Record<string, number[]> = {};
      for (const key of request.needs.scorers.keys()) scores[key] = pick(tableOf(key), `score ${key}`, request);
      const out: BatchScores = { scores, corpusThresholds: arrays.corpusThresholds };
      if (request.needs.refCe) out.refCe = pick(arrays.refCe, 'reference ce', request);
      return out;
    },
  };
}
