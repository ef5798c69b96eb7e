// The ScoreSources over the groupers' precompute pass (src/groupers/prepare.ts), which computes every
// static scorer and the reference ce once over the training and eval samples (cached in the run
// directory); each micro-batch reads its loss tokens' values from the resulting ScoreStore.
//   StoreScoreSource    a store the pipeline already computed (`sftgoc run`): prepare() has nothing
//                       to do, so the precompute pass runs once, by construction.
//   GroupersScoreSource runs the pass itself when the objective is prepared (`sftgoc eval`).
import type { Sample } from '../data/types.js';
import { prepareNeeds, REF_CE_KEY, type ScoreStore } from '../groupers/index.js';
import type { PrepareOptions } from '../groupers/prepare.js';
import type { PrepareContext } from '../train/objective.js';
import type { BatchScoreRequest, BatchScores, ScoreNeeds, ScoreSource } from './score-source.js';

export type GroupersOptions = Omit<PrepareOptions, 'cacheDir'>;

export class GroupersScoreSource implements ScoreSource {
  private store?: ScoreStore;
  private preparedFor?: { train: readonly Sample[]; eval: readonly Sample[] };

  constructor(private readonly options: GroupersOptions, private readonly objectiveName?: string) {}

  /** Runs the precompute pass for these samples (once per (train, eval) pair). */
  async prepare(context: PrepareContext, needs: ScoreNeeds): Promise<string[]> {
    if (this.preparedFor?.train === context.train && this.preparedFor.eval === context.eval) return [];
    const r = await prepareNeeds(
      { scorers: [...needs.scorers.values()], refCe: needs.refCe, corpusRanks: needs.corpusRanks, objectiveName: this.objectiveName },
      { train: context.train, eval: context.eval },
      { ...this.options, ...(context.cacheDir !== undefined ? { cacheDir: context.cacheDir } : {}) },
    );
    if (!r.ok) return r.errors;
    this.store = r.store;
    this.preparedFor = { train: context.train, eval: context.eval };
    return [];
  }

  batchScores(request: BatchScoreRequest): BatchScores {
    if (this.store === undefined) throw new Error('static scores were read before the precompute pass ran (StepObjective.prepare)');
    return storeBatchScores(this.store, request);
  }
}

/** A store the pipeline computed before the engine started: nothing to prepare. */
export class StoreScoreSource implements ScoreSource {
  constructor(private readonly store: ScoreStore) {}

  async prepare(): Promise<string[]> {
    return [];
  }

  batchScores(request: BatchScoreRequest): BatchScores {
    return storeBatchScores(this.store, request);
  }
}

/** The micro-batch's loss tokens' values, read from the store (token t + 1 of each sample: the target's). */
function storeBatchScores(store: ScoreStore, request: BatchScoreRequest): BatchScores {
  const per = store.forSamples(request.samples);
  const { row, tokenIndex } = request.tokens;
  const pick = (arrays: ArrayLike<number>[]) => row.map((r, i) => arrays[r]![tokenIndex[i]!]!);
  const scores: Record<string, number[]> = {};
  for (const key of request.needs.scorers.keys()) scores[key] = pick(per[key]!);
  // Token texts only for a regex selector: decoding them costs a string per token, kept per sample.
  const texts = request.text === true ? store.texts(request.samples) : undefined;
  return {
    scores,
    refCe: request.needs.refCe ? pick(per[REF_CE_KEY]!) : undefined,
    corpusThresholds: { ...store.corpusThresholds },
    text: texts && row.map((r, i) => texts[r]![tokenIndex[i]!]!),
  };
}
