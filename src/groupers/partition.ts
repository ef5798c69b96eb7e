// Host-side partition of samples into the objective's groups, for the groups view (and anyone who
// needs group membership outside a training step). It feeds the precomputed scores to the
// lowering's host evaluation (src/ir/host-values.ts), the partition the trainer uses, so the
// view shows the groups training saw; only the selectors are evaluated, never the loss.
import type { Sample } from '../data/types.js';
import type { Objective } from '../ir/nodes.js';
import type { EvalInputs } from '../ir/eval-inputs.js';
import { HostValues } from '../ir/host-values.js';
import type { SampleScores } from './sample-scores.js';
import { REF_CE_KEY, type ScoreStore } from './store.js';

/** Per-token values of a model (aligned with Sample.ids), for dynamic selectors. */
export interface DynamicValues {
  ce: SampleScores[];
  entropy: SampleScores[];
}

export interface PartitionOptions {
  /** Samples ranked together by `per batch` ranks: the view uses the run's batch size, in file order. */
  batchSize: number;
  dynamic?: DynamicValues;
}

/**
 * Group index of every token of every sample (partition order, `rest` last; −1 where the token
 * carries no loss). `samples` must have been given to prepareScores with this store.
 */
export function partitionSamples(o: Objective, samples: readonly Sample[], store: ScoreStore, options: PartitionOptions): Int32Array[] {
  const out: Int32Array[] = samples.map((s) => new Int32Array(s.ids.length).fill(-1));
  for (let first = 0; first < samples.length; first += options.batchSize) {
    const chunk = samples.slice(first, first + options.batchSize);
    const scores = store.forSamples(chunk);
    const texts = store.texts(chunk);
    const inputs: Required<Pick<EvalInputs, 'sampleOf' | 'ce' | 'entropy' | 'reward' | 'advantage' | 'text' | 'scores'>> & EvalInputs = {
      sampleOf: [], ce: [], entropy: [], reward: [], advantage: [], text: [], scores: {},
      corpusThresholds: { ...store.corpusThresholds },
    };
    const refCe: number[] = [];
    const keys = store.keys.filter((k) => k !== REF_CE_KEY);
    for (const k of keys) inputs.scores[k] = [];
    const where: Array<[number, number]> = [];
    chunk.forEach((s, i) => {
      for (let t = 0; t < s.ids.length; t++) {
        if (!s.lossMask[t]) continue;
        where.push([first + i, t]);
        inputs.sampleOf.push(i);
        inputs.ce.push(options.dynamic?.ce[first + i]![t] ?? 0);
        inputs.entropy.push(options.dynamic?.entropy[first + i]![t] ?? 0);
        inputs.reward.push(s.reward);
        inputs.advantage.push(s.advantage);
        inputs.text.push(texts[i]![t]!);
        for (const k of keys) inputs.scores[k]!.push(scores[k]![i]![t]!);
        if (scores[REF_CE_KEY] !== undefined) refCe.push(scores[REF_CE_KEY][i]![t]!);
      }
    });
    if (scores[REF_CE_KEY] !== undefined) inputs.refCe = refCe;
    if (where.length === 0) continue;
    const groupOf = new HostValues(o, inputs).partition();
    where.forEach(([si, t], j) => (out[si]![t] = groupOf[j]!));
  }
  return out;
}
