import { strict as assert } from 'node:assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTextCorpus } from '../../src/data/corpus.js';
import { repoRoot } from '../helpers/golden.js';
import { bundledTokenizer } from '../tokenizer/helpers.js';

describe('plain-text corpus in blocks', () => {
  const tokenizer = bundledTokenizer();
  const write = (text: string) => {
    const file = join(mkdtempSync(join(tmpdir(), 'sftgoc-corpus-')), 'c.txt');
    writeFileSync(file, text);
    return file;
  };

  it('tokenises documents with eos after each and cuts the stream into blocks', () => {
    const file = write('Velmora lies north.\nIt is old.\n\n\nThe Sisoth flows.\n');
    const whole = loadTextCorpus(file, { tokenizer, blockLen: 1000 });
    assert.deepEqual(whole.errors, []);
    assert.equal(whole.stats.records, 2);
    const s = whole.samples[0]!;
    assert.equal(tokenizer.decode(s.ids), 'Velmora lies north.\nIt is old.<eos>The Sisoth flows.<eos>');
    const blocks = loadTextCorpus(file, { tokenizer, blockLen: 4 });
    assert.deepEqual(blocks.samples.flatMap((b) => b.ids), s.ids, 'blocks partition the stream');
    assert.ok(blocks.samples.slice(0, -1).every((b) => b.ids.length === 4));
    for (const b of blocks.samples) {
      assert.deepEqual(b.lossMask, b.ids.map((_, i) => i > 0));
      b.ids.forEach((id, i) => {
        if (id !== tokenizer.eosId) assert.equal(b.text.slice(...b.offsets[i]!), tokenizer.decode([id]));
      });
    }
    const sisoth = blocks.samples.find((b) => b.text.startsWith('isoth'))!;
    assert.equal(sisoth.source.line, 5, 'a block names the line its text starts on');
  });

  it('reads the bundled corpus', () => {
    const c = loadTextCorpus(join(repoRoot, 'assets', 'default', 'corpus.txt'), { tokenizer, blockLen: 256 });
    assert.deepEqual(c.errors, []);
    assert.ok(c.stats.records > 900 && c.stats.tokens > 50000, JSON.stringify(c.stats));
  });

  it('reports an empty file and a bad block length', () => {
    assert.match(loadTextCorpus(write('\n\n'), { tokenizer, blockLen: 8 }).errors[0]!.message, /empty/);
    assert.match(loadTextCorpus(write('a'), { tokenizer, blockLen: 1 }).errors[0]!.message, /block length/);
  });
});
