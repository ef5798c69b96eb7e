// The ScoreSource of a real run: the groupers' precompute pass (src/groupers/prepare.ts, engineer S)
// computes every static scorer and the reference ce once over the training and eval samples (cached
// in the run directory), and each micro-batch reads its loss tokens' values from the ScoreStore.
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

  /** A source over an existing store (the `groups` view, tests): prepare() then computes nothing for these samples. */
  static fromStore(store: ScoreStore, samples: { train: readonly Sample[]; eval: readonly Sample[] }, options: GroupersOptions): GroupersScoreSource {
    const source = new GroupersScoreSource(options);
    source.store = store;
    source.preparedFor = samples;
    return source;
  }

  /** Runs the precompute pass once per (train, eval) pair: the trainer may call it again after the run path did. */
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
    const store = this.store;
    if (store === undefined) throw new Error('static scores were read before the precompute pass ran (StepObjective.prepare)');
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
}
