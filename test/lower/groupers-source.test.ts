// The run's score source reads the groupers' ScoreStore: each loss token (grid position t of a row)
// must get the value of token t + 1 of its sample, the same alignment as ScoreStore.forBatch, which
// the groupers define independently; ref_ce, texts and corpus thresholds come along.
import { strict as assert } from 'node:assert';
import { collate } from '../../src/data/batch.js';
import { REF_CE_KEY, ScoreStore } from '../../src/groupers/index.js';
import { StoreScoreSource } from '../../src/lower/groupers-source.js';
import { lossTokensOf } from '../../src/lower/loss-tokens.js';
import { tinySamples } from '../train/helpers/tiny-lm.js';

const KEY = 'tfidf(smooth = true, sublinear = false)';

describe('lowering: the groupers score source', () => {
  it('aligns every loss token with ScoreStore.forBatch, for scores and ref_ce', () => {
    const samples = tinySamples(4, 11, 11, [3, 8]);
    let decoded = 0;
    const store = new ScoreStore([KEY, REF_CE_KEY], { 'x top 0.3': 0.5 }, (s) => { decoded++; return s.ids.map((id) => `t${id}`); }, samples);
    store.set(KEY, samples, samples.map((s) => Float32Array.from(s.ids, (_, t) => s.index * 100 + t)));
    store.set(REF_CE_KEY, samples, samples.map((s) => Float32Array.from(s.ids, (_, t) => -(s.index * 100 + t))));
    const source = new StoreScoreSource(store);
    const batch = collate([samples[2]!, samples[0]!, samples[3]!], 0);
    const tokens = lossTokensOf(batch);
    assert.ok(tokens.n > 0);
    const needs = { scorers: new Map([[KEY, { name: 'tfidf' as const, kind: 'static' as const, args: {} }]]), refCe: true, corpusRanks: [] };
    // Without a regex selector reading them, no token text is decoded.
    assert.equal(source.batchScores({ samples: batch.samples, tokens, needs }).text, undefined);
    assert.equal(decoded, 0);
    const got = source.batchScores({ samples: batch.samples, tokens, needs, text: true });
    const layout = store.forBatch(batch);
    assert.deepEqual(got.scores[KEY], Array.from(tokens.flat, (i) => layout[KEY]![i]!));
    assert.deepEqual(got.refCe, Array.from(tokens.flat, (i) => layout[REF_CE_KEY]![i]!));
    assert.deepEqual(got.text, tokens.row.map((r, i) => `t${batch.samples[r]!.ids[tokens.tokenIndex[i]!]}`));
    assert.deepEqual(got.corpusThresholds, { 'x top 0.3': 0.5 });
  });
});
