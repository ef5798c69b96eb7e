// tfidf against an independent computation from LANGUAGE.md §6's formula (written here with plain
// counting over arrays, not the Maps of src/groupers/tfidf.ts), and the per-sample top-30%
// partition against an independent ranking (ties to the earlier position).
import assert from 'node:assert/strict';
import { compile } from '../../src/compile.js';
import { partitionSamples, prepareScores, scorerKey } from './imports.js';
import { fakeTokenizer, randomSamples, sampleOf } from './helpers.js';
import type { Sample } from '../../src/data/types.js';

function expected(train: Sample[], s: Sample, smooth: boolean, sublinear: boolean): number[] {
  const loss = (x: Sample) => x.ids.filter((_, t) => x.lossMask[t]);
  const N = train.length;
  return s.ids.map((id, t) => {
    if (!s.lossMask[t]) return 0;
    const mine = loss(s);
    const count = mine.filter((x) => x === id).length;
    const df = train.filter((x) => loss(x).includes(id)).length;
    const tf = sublinear ? 1 + Math.log(count) : count / mine.length;
    const idf = smooth ? Math.log((1 + N) / (1 + df)) + 1 : Math.log(N / (df === 0 ? 1 : df)) + 1;
    return tf * idf;
  });
}

function close(actual: Float32Array, want: number[], tol = 1e-6): void {
  assert.equal(actual.length, want.length);
  want.forEach((w, i) => assert.ok(Math.abs(actual[i]! - w) <= tol * Math.max(1, Math.abs(w)), `position ${i}: ${actual[i]} vs ${w}`));
}

describe('groupers: tfidf', () => {
  for (const smooth of [true, false]) {
    for (const sublinear of [false, true]) {
      it(`matches the formula (smooth = ${smooth}, sublinear = ${sublinear}), eval samples with the training idf`, async () => {
        const train = randomSamples(12, 7);
        // Eval: ids 7 and 8 never occur in training (df = 0); one sample without loss tokens.
        const evalSamples = [sampleOf(0, [1, 7, 8, 7, 2]), sampleOf(1, [3, 3], [false, false]), ...randomSamples(3, 99)];
        const o = compile(`group g = tfidf(smooth = ${smooth}, sublinear = ${sublinear}, top 30%)\nloss = max(groups)`).objective!;
        const r = await prepareScores(o, { train, eval: evalSamples }, { tokenizer: fakeTokenizer() });
        assert.ok(r.ok);
        const key = scorerKey(o.partition.scorers[0]!);
        const got = r.store.forSamples([...train, ...evalSamples])[key]!;
        [...train, ...evalSamples].forEach((s, i) => close(got[i]!, expected(train, s, smooth, sublinear)));
      });
    }
  }

  it('a hand-checked value: N = 2, the id in both samples vs the id in one', async () => {
    const a = sampleOf(0, [9, 1, 1, 2], [false, true, true, true]);
    const b = sampleOf(1, [9, 1, 3], [false, true, true]);
    const o = compile('group g = tfidf(top 50%)\nloss = max(groups)').objective!;
    const r = await prepareScores(o, { train: [a, b], eval: [] }, { tokenizer: fakeTokenizer() });
    assert.ok(r.ok);
    const [sa] = r.store.forSamples([a])[scorerKey(o.partition.scorers[0]!)]!;
    // id 1: tf 2/3, idf ln(3/3)+1 = 1; id 2: tf 1/3, idf ln(3/2)+1.
    close(sa!, [0, 2 / 3, 2 / 3, (1 / 3) * (Math.log(1.5) + 1)]);
  });

  it('top 30% per sample: ceil(0.3·n) highest loss tokens, ties to the earlier position', async () => {
    const train = randomSamples(20, 3, 4);
    const o = compile('group important = tfidf(top 30%); loss = λ·max(groups) + (1-λ)·ce').objective!;
    const r = await prepareScores(o, { train, eval: [] }, { tokenizer: fakeTokenizer() });
    assert.ok(r.ok);
    const groups = partitionSamples(o, train, r.store, { batchSize: 4 });
    let ties = 0;
    train.forEach((s, i) => {
      const scores = expected(train, s, true, false);
      const loss = s.ids.map((_, t) => t).filter((t) => s.lossMask[t]);
      // Independent ranking: stable sort by score descending keeps earlier positions first on ties.
      const ranked = [...loss].sort((x, y) => scores[y]! - scores[x]!);
      const k = Math.ceil(0.3 * loss.length - 1e-9);
      const chosen = new Set(ranked.slice(0, k));
      if (k > 0 && k < loss.length && Math.abs(scores[ranked[k - 1]!]! - scores[ranked[k]!]!) < 1e-12) ties++;
      s.ids.forEach((_, t) => assert.equal(groups[i]![t], !s.lossMask[t] ? -1 : chosen.has(t) ? 0 : 1, `sample ${i} position ${t}`));
    });
    assert.ok(ties > 0, 'the data should exercise a tie at the cut');
  });
});
