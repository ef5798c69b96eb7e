import { strict as assert } from 'node:assert';
import { mulberry32 } from '../../src/util/prng.js';
import { loadTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { trainBpe } from '../../scripts/dataset/bpe.js';
import { answer, pickQuestion } from '../../scripts/dataset/qa.js';
import { allEntities, makeWorld } from '../../scripts/dataset/world.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPECIAL_TOKENS, specialTokensMap, tokenizerConfig, tokenizerJson } from '../../scripts/dataset/tokenizer-files.js';

const small = { regions: 3, towns: 5, people: 5, elements: 3, products: 4 };

describe('the dataset generator (scripts/dataset)', () => {
  it('is deterministic: the same seed gives the same world and answers', () => {
    const run = () => {
      const world = makeWorld(mulberry32(5), small);
      const rng = mulberry32(6);
      return [world, Array.from({ length: 5 }, () => answer(pickQuestion(allEntities(world), rng), rng))];
    };
    assert.deepEqual(run(), run());
  });

  it('marks exactly the name and the value of each fact it states', () => {
    const world = makeWorld(mulberry32(5), small);
    const rng = mulberry32(7);
    for (let i = 0; i < 30; i++) {
      const q = pickQuestion(allEntities(world), rng);
      const a = answer(q, rng);
      const marked = a.facts.map(([s, e]) => a.text.slice(s, e));
      for (const attr of q.attributes) assert.ok(marked.includes(attr.value(q.entity)), `${attr.key} of ${q.entity.name} in "${a.text}"`);
      assert.ok(marked.includes(q.entity.name));
    }
  });

  it('trains a byte-level BPE that Tokenizers.js loads and that round-trips its text', () => {
    const texts = ['Velmora lies on the Sisoth. Velmora has 4200 people.', 'The Sisoth is green.'];
    const model = trainBpe(texts, SPECIAL_TOKENS, 300);
    // 5 specials + 256 bytes + merges, until no pair occurs twice (before reaching 300 here).
    assert.ok(model.vocab.size > 261 + 5 && model.vocab.size <= 300, `vocab ${model.vocab.size}`);
    assert.equal(model.vocab.size, 261 + model.merges.length);
    assert.deepEqual(trainBpe(texts, SPECIAL_TOKENS, 300), model, 'deterministic');
    const dir = mkdtempSync(join(tmpdir(), 'sftgoc-bpe-'));
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson(model)));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig(model, 64)));
    writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify(specialTokensMap()));
    const r = loadTokenizer(dir);
    assert.ok(r.ok);
    if (!r.ok) return;
    for (const text of [...texts, 'Unseen wörds ☃ too.']) assert.equal(r.tokenizer.decode(r.tokenizer.encode(text).ids), text);
    // Words seen twice become single tokens.
    assert.deepEqual(r.tokenizer.encode('Velmora Sisoth').ids.map((id) => r.tokenizer.idToToken(id)), ['Velmora', 'ĠSisoth']);
  });
});
