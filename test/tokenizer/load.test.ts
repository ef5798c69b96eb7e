import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { loadTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { fixtureDir, mustLoad, pieces } from './helpers.js';

describe('loading Hugging Face tokenizer directories', () => {
  it('names the missing tokenizer.json', () => {
    const r = loadTokenizer(fixtureDir('no-json'));
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.errors[0]!.file, join(fixtureDir('no-json'), 'tokenizer.json'));
      assert.match(r.errors[0]!.message, /missing/);
    }
  });
  it('names a corrupt tokenizer.json and says it is not JSON', () => {
    const r = loadTokenizer(fixtureDir('bad-json'));
    assert.ok(!r.ok && r.errors[0]!.file.endsWith(join('bad-json', 'tokenizer.json')) && /not valid JSON/.test(r.errors[0]!.message));
  });
  it('names tokenizer_config.json when its eos token is not in the vocabulary', () => {
    const r = loadTokenizer(fixtureDir('bad-eos'));
    assert.ok(!r.ok && r.errors[0]!.file.endsWith('tokenizer_config.json') && /eos_token "<end>"/.test(r.errors[0]!.message));
  });
  it('reports a path that does not exist', () => {
    const r = loadTokenizer(fixtureDir('does-not-exist'));
    assert.ok(!r.ok && /no such file/.test(r.errors[0]!.message));
  });
  it('accepts the tokenizer.json file itself as the path', () => {
    const r = loadTokenizer(join(fixtureDir('wordlevel'), 'tokenizer.json'));
    assert.ok(r.ok);
  });
});

describe('offsets of other tokenizer schemes', () => {
  it('word-level with a Whitespace pre-tokenizer: unknown words get their own text', () => {
    const t = mustLoad(fixtureDir('wordlevel'));
    const text = 'hello, big world!';
    const e = t.encode(text);
    assert.deepEqual(e.ids, [2, 4, 0, 3, 5]);
    assert.deepEqual(pieces(text, e.offsets), ['hello', ',', 'big', 'world', '!']);
    assert.equal(t.eosId, 1);
    assert.equal(t.padId, 1, 'no pad token: padding uses eos');
  });
  it('WordPiece with lower-casing: ## pieces align inside the word, case ignored', () => {
    const t = mustLoad(fixtureDir('wordpiece'));
    const text = 'Hello unaffable.';
    const e = t.encode(text);
    assert.deepEqual(pieces(text, e.offsets), ['Hello', 'un', 'aff', 'able', '.']);
  });
  it('Metaspace: the first word has no space before it, later words include theirs', () => {
    const t = mustLoad(fixtureDir('metaspace'));
    const text = 'hi there  you';
    const e = t.encode(text);
    assert.deepEqual(e.ids, [1, 2, 3]);
    assert.deepEqual(pieces(text, e.offsets), ['hi', ' there', ' you']);
    assert.equal(t.eosId, 0, 'eos guessed as </s> when tokenizer_config.json names none');
  });
  it('renders a chat template from tokenizer_config.json with the special tokens defined', () => {
    const t = mustLoad(fixtureDir('metaspace'));
    assert.equal(t.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }), '[user] hi</s>[assistant] ');
    assert.equal(mustLoad(fixtureDir('wordlevel')).applyChatTemplate([{ role: 'user', content: 'hi' }]), undefined);
  });
  it('decodes the empty sequence to the empty string', () => {
    assert.equal(mustLoad(fixtureDir('wordlevel')).decode([]), '');
  });
});
