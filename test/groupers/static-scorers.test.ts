// frequency(), random(seed), column("FIELD") and the token texts for regex, each against values
// written out from LANGUAGE.md §6 and docs/groupers.md.
import assert from 'node:assert/strict';
import { compile } from '../../src/compile.js';
import { columnScores } from '../../src/groupers/column.js';
import { frequencyScores } from '../../src/groupers/frequency.js';
import { randomScore, randomScores } from '../../src/groupers/random.js';
import { tokenTexts } from '../../src/groupers/token-text.js';
import { fakeTokenizer, randomSamples, sampleOf } from './helpers.js';
import { partitionSamples, prepareScores } from './imports.js';

describe('groupers: frequency, random, column, token text', () => {
  it('frequency: the id count over the training loss tokens; eval samples use the training counts', () => {
    const train = [sampleOf(0, [5, 1, 1, 2], [true, true, true, false]), sampleOf(1, [1, 2, 5])];
    // Loss tokens: 5 1 1 | 2 5 → counts 1:2, 2:1, 5:2; position 0 of sample 1 (id 1) is not a loss token.
    const [a, b] = frequencyScores(train, train);
    assert.deepEqual([...a!], [2, 2, 2, 0]);
    assert.deepEqual([...b!], [0, 1, 2]);
    const [e] = frequencyScores(train, [sampleOf(0, [9, 5, 7])]);
    assert.deepEqual([...e!], [0, 2, 0]);
  });

  it('random: in [0, 1), a function of (seed, sample index, position) alone', () => {
    const samples = randomSamples(30, 5);
    const once = randomScores(samples, 3);
    const shuffled = [...samples].reverse();
    const again = randomScores(shuffled, 3).reverse();
    once.forEach((s, i) => assert.deepEqual([...s], [...again[i]!]));
    once.forEach((s, i) => samples[i]!.ids.forEach((_, t) => {
      if (samples[i]!.lossMask[t]) assert.equal(s[t], Math.fround(randomScore(3, samples[i]!.index, t)));
    }));
    const values = once.flatMap((s, i) => [...s].filter((_, t) => samples[i]!.lossMask[t]));
    assert.ok(values.every((v) => v >= 0 && v < 1));
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    assert.ok(Math.abs(mean - 0.5) < 0.1, `mean ${mean}`);
    assert.equal(new Set(values).size, values.length, 'no repeats among a few hundred draws');
    const other = randomScores(samples, 4);
    assert.notDeepEqual([...other[0]!], [...once[0]!], 'another seed, other scores');
  });

  it('column: the span overlapping most wins, ties to the earlier span, no overlap scores 0', () => {
    // Text "w10 w11 w12 w13": tokens cover [0,3) [4,7) [8,11) [12,15).
    const s = sampleOf(0, [10, 11, 12, 13], [true, true, true, true], {
      fact: [
        { start: 0, end: 2, score: 0.5 }, // 2 chars of token 0
        { start: 1, end: 5, score: 0.9 }, // 2 chars of token 0 (tie: the earlier span wins), 1 of token 1
        { start: 6, end: 10, score: 0.25 }, // 1 char of token 1, 2 of token 2
      ],
    });
    const [c] = columnScores([s], 'fact');
    // Token 1 [4,7): span 2 overlaps [4,5) = 1, span 3 overlaps [6,7) = 1 → tie → span 2 (0.9).
    assert.deepEqual([...c!], [0.5, Math.fround(0.9), 0.25, 0]);
    const [none] = columnScores([s], 'other');
    assert.deepEqual([...none!], [0, 0, 0, 0]);
  });

  it('column: a field no training record carries is an error naming the fields that exist', async () => {
    const s = sampleOf(0, [1, 2], undefined, { fact: [{ start: 0, end: 2, score: 1 }] });
    const o = compile('group g = column("facts") > 0.5\nloss = max(groups)').objective!;
    const r = await prepareScores(o, { train: [s], eval: [] }, { tokenizer: fakeTokenizer() });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.errors.join('\n') : '', /column\("facts"\): no training record has scores\.facts; the records carry scores\.fact/);
  });

  it('token text: the characters a token covers, else the tokenizer string; regex selectors use it', async () => {
    const s = sampleOf(0, [1, 22, 3, 22]);
    s.offsets[3] = [s.text.length, s.text.length];
    assert.deepEqual(tokenTexts(s, fakeTokenizer()), ['w1', 'w22', 'w3', '<22>']);
    const o = compile('group twos = regex("2")\nloss = max(groups)').objective!;
    const r = await prepareScores(o, { train: [s], eval: [] }, { tokenizer: fakeTokenizer() });
    assert.ok(r.ok);
    const [g] = partitionSamples(o, [s], r.store, { batchSize: 1 });
    assert.deepEqual([...g!], [-1, 0, 1, 0]);
  });

  it('per corpus: the threshold is the ceil(P·n)-th best training loss-token score; ties at it all join', async () => {
    const train = randomSamples(15, 8, 5);
    const o = compile('group common = frequency(top 25% per corpus)\nloss = max(groups)').objective!;
    const r = await prepareScores(o, { train, eval: [] }, { tokenizer: fakeTokenizer() });
    assert.ok(r.ok);
    const all = train.flatMap((s) => s.ids.filter((_, t) => s.lossMask[t]));
    const counts = new Map<number, number>();
    for (const id of all) counts.set(id, (counts.get(id) ?? 0) + 1);
    const sorted = all.map((id) => counts.get(id)!).sort((a, b) => b - a);
    const threshold = sorted[Math.ceil(0.25 * all.length) - 1]!;
    assert.deepEqual(Object.values(r.store.corpusThresholds), [threshold]);
    const groups = partitionSamples(o, train, r.store, { batchSize: 4 });
    train.forEach((s, i) => s.ids.forEach((id, t) => {
      if (s.lossMask[t]) assert.equal(groups[i]![t], counts.get(id)! >= threshold ? 0 : 1);
    }));
  });
});
