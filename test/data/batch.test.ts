import { strict as assert } from 'node:assert';
import { collate, makeBatches } from '../../src/data/batch.js';
import { mixSeed, mulberry32, shuffled } from '../../src/util/prng.js';
import type { Sample } from '../../src/data/types.js';

function sample(index: number, ids: number[], lossMask: boolean[]): Sample {
  return { index, ids, lossMask, offsets: ids.map(() => [0, 0]), text: '', reward: 0, advantage: 0, spanScores: {}, source: { file: 'f', line: index + 1 } };
}

describe('batches', () => {
  const samples = Array.from({ length: 10 }, (_, i) => sample(i, Array.from({ length: 2 + (i % 4) }, (_, t) => 10 * i + t + 1), Array.from({ length: 2 + (i % 4) }, (_, t) => t >= 1)));

  it('targets are the next token, and the mask is that token\'s loss; padding carries none', () => {
    const a = sample(0, [5, 6, 7, 8], [false, false, true, true]);
    const b = sample(1, [9, 10], [false, true]);
    const batch = collate([a, b], 0);
    assert.equal(batch.seqLen, 4);
    assert.deepEqual([...batch.inputIds], [5, 6, 7, 8, 9, 10, 0, 0]);
    assert.deepEqual([...batch.targets], [6, 7, 8, 0, 10, 0, 0, 0]);
    assert.deepEqual([...batch.lossMask], [0, 1, 1, 0, 1, 0, 0, 0]);
    assert.deepEqual(batch.samples, [a, b]);
  });

  it('pads with the pad id given', () => {
    const batch = collate([sample(0, [1, 2, 3], [false, true, true]), sample(1, [4], [false])], 99);
    assert.deepEqual([...batch.inputIds], [1, 2, 3, 4, 99, 99]);
  });

  it('the same seed and epoch give the same order; another epoch or seed another one', () => {
    const order = (seed: number, epoch: number) => makeBatches(samples, { batchSize: 3, seed, epoch, padId: 0 }).flatMap((b) => b.samples.map((s) => s.index));
    assert.deepEqual(order(1, 0), order(1, 0));
    assert.notDeepEqual(order(1, 0), order(1, 1));
    assert.notDeepEqual(order(1, 0), order(2, 0));
    assert.deepEqual([...order(1, 0)].sort((x, y) => x - y), samples.map((s) => s.index), 'every sample once');
  });

  it('mulberry32 gives the reference implementation\'s first value for seed 0', () => {
    assert.equal(mulberry32(0)(), 0.26642920868471265);
  });

  it('matches a recorded order, so a change of PRNG or shuffle (which reorders old runs) is noticed', () => {
    assert.deepEqual(shuffled([0, 1, 2, 3, 4, 5, 6, 7], mulberry32(mixSeed(1, 0))), [2, 6, 0, 1, 3, 5, 4, 7]);
  });

  it('keeps file order without shuffle, and drops a short last batch only when asked', () => {
    const kept = makeBatches(samples, { batchSize: 4, seed: 1, epoch: 0, padId: 0, shuffle: false });
    assert.deepEqual(kept.map((b) => b.batchSize), [4, 4, 2]);
    assert.deepEqual(kept[0]!.samples.map((s) => s.index), [0, 1, 2, 3]);
    assert.deepEqual(makeBatches(samples, { batchSize: 4, seed: 1, epoch: 0, padId: 0, dropLast: true }).map((b) => b.batchSize), [4, 4]);
  });

  it('every loss position of every batch predicts a loss token of its sample', () => {
    for (const b of makeBatches(samples, { batchSize: 4, seed: 3, epoch: 2, padId: 0 })) {
      b.samples.forEach((s, row) => {
        for (let t = 0; t < b.seqLen; t++) {
          const i = row * b.seqLen + t;
          const expected = t + 1 < s.ids.length && s.lossMask[t + 1] ? 1 : 0;
          assert.equal(b.lossMask[i], expected);
          if (expected) assert.equal(b.targets[i], s.ids[t + 1]);
        }
      });
    }
  });
});
