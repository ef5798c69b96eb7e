import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { repoRoot } from '../helpers/golden.js';
import { bundledTokenizer } from './helpers.js';

function bundledTexts(): string[] {
  const dir = join(repoRoot, 'assets', 'default', 'data');
  const texts: string[] = [];
  for (const name of ['train.jsonl', 'eval.jsonl', 'responses.jsonl']) {
    for (const line of readFileSync(join(dir, name), 'utf8').trim().split('\n')) {
      const r = JSON.parse(line) as { prompt: string; completion?: string; responses?: Array<{ completion: string }> };
      if (r.completion !== undefined) texts.push(r.prompt + r.completion);
      for (const x of r.responses ?? []) texts.push(r.prompt + x.completion);
    }
  }
  return texts;
}

describe('the bundled tokenizer (assets/default/tokenizer)', () => {
  const t = bundledTokenizer();

  it('has at most 2,048 ids and the special tokens the data needs', () => {
    assert.ok(t.vocabSize <= 2048, `vocab ${t.vocabSize}`);
    assert.equal(t.idToToken(t.padId), '<pad>');
    assert.equal(t.idToToken(t.eosId), '<eos>');
    assert.equal(t.idToToken(t.unkId!), '<unk>');
    assert.notEqual(t.tokenToId('<|im_start|>'), undefined);
    assert.notEqual(t.chatTemplate, undefined);
  });

  it('round-trips every text of the bundled data, and each token covers the text it decodes to', () => {
    const texts = bundledTexts();
    assert.ok(texts.length > 3000);
    let tokens = 0;
    for (const text of texts) {
      const e = t.encode(text);
      assert.equal(t.decode(e.ids), text);
      // The data is ASCII, so every token is whole characters and its span is exactly its text.
      if (tokens % 10 === 0) e.ids.forEach((id, i) => assert.equal(text.slice(...e.offsets[i]!), t.decode([id])));
      tokens += e.ids.length;
    }
    assert.ok(tokens / texts.length < 80, `the tokenizer fits the data: ${(tokens / texts.length).toFixed(1)} tokens per text`);
  });

  it('round-trips any text, with offsets in order and inside the text (property)', () => {
    const alphabet = fc.constantFrom(...Array.from('ab Vel mora, 12.\n\t!é☃😀'), '<|im_end|>');
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }).map((cs) => cs.join('')), (text) => {
        const e = t.encode(text);
        assert.equal(t.decode(e.ids), text);
        let last = 0;
        for (const [s, end] of e.offsets) {
          assert.ok(s >= 0 && s <= end && end <= text.length);
          assert.ok(s >= last || end <= last + 2, 'spans move forward (a split character may repeat)');
          last = Math.max(last, s);
        }
      }),
      { numRuns: 200, seed: 7 },
    );
  });

  it('keeps chat markers whole and renders the ChatML template', () => {
    const text = t.applyChatTemplate([{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }])!;
    assert.equal(text, '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n');
    const e = t.encode(text);
    assert.equal(e.ids[0], t.tokenToId('<|im_start|>'));
    assert.deepEqual(e.offsets[0], [0, '<|im_start|>'.length]);
  });
});
