// Per-token ce (and entropy) of a causal language model over samples, batched, without gradient,
// through the fused head (src/head/fused-ce.ts). Used for the reference model's `ref_ce` (computed
// once before training and cached like static scores) and by the groups view to show a model's ce
// and evaluate dynamic scorers. Values are aligned with Sample.ids: position t holds the ce of
// predicting token t from tokens < t (position 0 predicts nothing and holds 0), and positions that
// carry no loss hold 0, as for every static scorer.
import * as tf from '@tensorflow/tfjs';
import { collate } from '../data/batch.js';
import type { Sample } from '../data/types.js';
import { tokenStats } from '../head/fused-ce.js';
import type { CausalLM } from '../model/types.js';
import { DEFAULT_HEAD_CHUNK } from '../head/chunk-size.js';
import type { SampleScores } from './sample-scores.js';

export interface ModelTokenValues {
  ce: SampleScores[];
  entropy: SampleScores[];
}

/** Samples per forward pass; small, since this runs once and memory matters more than speed. */
export const CE_BATCH = 8;

export function modelTokenValues(model: CausalLM, samples: readonly Sample[], padId: number, batchSize = CE_BATCH): ModelTokenValues {
  const ce: SampleScores[] = [];
  const entropy: SampleScores[] = [];
  for (let i = 0; i < samples.length; i += batchSize) {
    const chunk = samples.slice(i, i + batchSize);
    const batch = collate(chunk, padId);
    const [ceFlat, entFlat] = tf.tidy(() => {
      const ids = tf.tensor2d(batch.inputIds, [batch.batchSize, batch.seqLen], 'int32');
      const hidden = model.hidden(ids);
      const flat = tf.reshape(hidden, [batch.batchSize * batch.seqLen, hidden.shape[2]]) as tf.Tensor2D;
      const targets = tf.tensor1d(batch.targets, 'int32');
      const stats = tokenStats(flat, model.outputEmbedding(), targets, { chunkSize: DEFAULT_HEAD_CHUNK, entropy: true });
      return [stats.ce.dataSync() as Float32Array, stats.entropy!.dataSync() as Float32Array];
    });
    chunk.forEach((s, b) => {
      const c = new Float32Array(s.ids.length);
      const e = new Float32Array(s.ids.length);
      // Batch position t predicts token t + 1 (src/data/batch.ts).
      for (let t = 1; t < s.ids.length; t++) {
        if (!s.lossMask[t]) continue;
        c[t] = ceFlat[b * batch.seqLen + t - 1]!;
        e[t] = entFlat[b * batch.seqLen + t - 1]!;
      }
      ce.push(c);
      entropy.push(e);
    });
  }
  return { ce, entropy };
}
