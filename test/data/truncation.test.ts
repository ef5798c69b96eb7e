import { strict as assert } from 'node:assert';
import { loadDatasetFromText } from '../../src/data/dataset.js';
import { bundledTokenizer } from '../tokenizer/helpers.js';

describe('truncation to max_len', () => {
  const tokenizer = bundledTokenizer();
  const text = '{"prompt": "Question: Who?\\nAnswer:", "completion": " Certainly! Here is what I know about it."}\n{"prompt": "Q", "completion": " A"}\n';

  it('cuts samples longer than max_len and counts them', () => {
    const full = loadDatasetFromText(text, 'x.jsonl', { tokenizer });
    const n = full.samples[0]!.ids.length;
    assert.ok(n > 8 && full.samples[1]!.ids.length <= 8);
    const cut = loadDatasetFromText(text, 'x.jsonl', { tokenizer, maxLen: 8 });
    assert.equal(cut.stats.truncated, 1);
    const s = cut.samples[0]!;
    assert.equal(s.ids.length, 8);
    assert.equal(s.offsets.length, 8);
    assert.equal(s.lossMask.length, 8);
    assert.deepEqual(s.ids, full.samples[0]!.ids.slice(0, 8));
    assert.notEqual(s.ids.at(-1), tokenizer.eosId, 'a cut sample loses its eos');
    assert.equal(cut.stats.tokens, 8 + full.samples[1]!.ids.length);
  });

  it('counts a sample of exactly max_len as not truncated', () => {
    const full = loadDatasetFromText(text, 'x.jsonl', { tokenizer });
    const n = full.samples[0]!.ids.length;
    assert.equal(loadDatasetFromText(text, 'x.jsonl', { tokenizer, maxLen: n }).stats.truncated, 0);
    assert.equal(loadDatasetFromText(text, 'x.jsonl', { tokenizer, maxLen: n - 1 }).stats.truncated, 1);
  });
});
