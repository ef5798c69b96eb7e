// ScoreStore: the precomputed per-token values an objective reads while training, looked up by
// sample. It is the interface between this folder and the objective executor (src/lower/):
//
//   store.forSamples(batch.samples)   → { [scorerKey]: Float32Array[] }, one array per sample,
//                                        indexed like Sample.ids (position t scores token t)
//   store.forBatch(batch)             → { [scorerKey]: Float32Array [batch·seq] } aligned with
//                                        Batch.lossMask / targets (position t holds token t + 1's score)
//   store.texts(samples)              → each token's text, for regex selectors
//   store.corpusThresholds            → `per corpus` thresholds, keyed by rankKey (reference-eval.ts)
//
// Keys are scorerKey(call) = formatScorer(call, true), e.g. `tfidf(smooth = true, sublinear = false)`,
// the same keys as EvalInputs.scores; the reference model's ce is under REF_CE_KEY. Samples are
// looked up by object identity (training and eval samples share Sample.index values), so pass the
// Sample objects that were given to prepareScores (Batch.samples holds them).
import type { Batch, Sample } from '../data/types.js';
import type { SampleScores } from './sample-scores.js';

export const REF_CE_KEY = 'ref_ce';

export class ScoreStore {
  private readonly bySample = new Map<Sample, Record<string, SampleScores>>();
  private readonly textOf = new Map<Sample, string[]>();

  constructor(
    /** Keys held for every sample. */
    readonly keys: readonly string[],
    readonly corpusThresholds: Readonly<Record<string, number>>,
    private readonly textFor: (s: Sample) => string[],
    /** Every sample the store serves, including when it holds no scores (regex-only objectives). */
    samples: readonly Sample[],
  ) {
    for (const s of samples) this.bySample.set(s, {});
  }

  /** Records `values[i]` as sample i's scores under `key`. */
  set(key: string, samples: readonly Sample[], values: readonly SampleScores[]): void {
    samples.forEach((s, i) => {
      const entry = this.bySample.get(s) ?? {};
      entry[key] = values[i]!;
      this.bySample.set(s, entry);
    });
  }

  has(sample: Sample): boolean {
    return this.bySample.has(sample);
  }

  forSamples(samples: readonly Sample[]): Record<string, SampleScores[]> {
    const out: Record<string, SampleScores[]> = {};
    for (const key of this.keys) out[key] = [];
    for (const s of samples) {
      const entry = this.bySample.get(s);
      if (entry === undefined) throw new Error(`no precomputed scores for sample ${s.index} of ${s.source.file}: it was not given to prepareScores`);
      for (const key of this.keys) out[key]!.push(entry[key]!);
    }
    return out;
  }

  /** As forSamples, laid out like the batch's targets: row b, position t holds sample b's token t + 1. */
  forBatch(batch: Batch): Record<string, Float32Array> {
    const per = this.forSamples(batch.samples);
    const out: Record<string, Float32Array> = {};
    for (const key of this.keys) {
      const flat = new Float32Array(batch.batchSize * batch.seqLen);
      per[key]!.forEach((scores, b) => {
        for (let t = 0; t + 1 < scores.length && t < batch.seqLen; t++) flat[b * batch.seqLen + t] = scores[t + 1]!;
      });
      out[key] = flat;
    }
    return out;
  }

  texts(samples: readonly Sample[]): string[][] {
    return samples.map((s) => {
      let t = this.textOf.get(s);
      if (t === undefined) {
        t = this.textFor(s);
        this.textOf.set(s, t);
      }
      return t;
    });
  }
}
