import { strict as assert } from 'node:assert';
import { basename } from 'node:path';
import { loadDataset, loadDatasetFromText } from '../../src/data/dataset.js';
import { formatDataError } from '../../src/data/jsonl.js';
import { bundledTokenizer } from '../tokenizer/helpers.js';
import { dataFixture } from './helpers.js';

describe('bad data is reported as file:line + JSON pointer, all at once', () => {
  const tokenizer = bundledTokenizer();
  const short = (e: Parameters<typeof formatDataError>[0]) => formatDataError({ ...e, file: basename(e.file) });

  it('reports every bad record of a chat file', () => {
    const d = loadDataset(dataFixture('bad-chat.jsonl'), { tokenizer });
    assert.equal(d.format, 'chat');
    const messages = d.errors.map(short);
    assert.equal(messages.length, 5, messages.join('\n'));
    assert.match(messages[0]!, /^bad-chat\.jsonl:2: not valid JSON: /);
    assert.equal(messages[1], 'bad-chat.jsonl:3: /messages/0/content: missing required field');
    assert.equal(messages[2], 'bad-chat.jsonl:4: /messages/2/role: must be one of system, user, assistant');
    assert.equal(messages[3], 'bad-chat.jsonl:5: /messages/0/content: must be string');
    assert.equal(messages[4], 'bad-chat.jsonl:7: /scores/fact/0/end: must be at most 3, the length in characters of the text it scores');
    assert.equal(d.stats.records, 7, 'blank lines are not records');
    assert.equal(d.samples.length, 2, 'the good records still load');
    assert.equal(d.stats.skipped, 0);
  });

  it('skipBadRecords skips and counts them instead', () => {
    const d = loadDataset(dataFixture('bad-chat.jsonl'), { tokenizer, skipBadRecords: true });
    assert.deepEqual(d.errors, []);
    assert.equal(d.stats.skipped, 5);
    assert.equal(d.skippedRecords.length, 5);
    assert.deepEqual(d.samples.map((s) => s.source.line), [1, 8]);
    assert.deepEqual(d.samples.map((s) => s.index), [0, 1], 'indices count kept samples');
  });

  it('says which fields it expected when auto cannot tell the format, even with skipBadRecords', () => {
    const d = loadDataset(dataFixture('unknown-format.jsonl'), { tokenizer, skipBadRecords: true });
    assert.equal(d.errors.length, 1);
    assert.match(short(d.errors[0]!), /^unknown-format\.jsonl:1: cannot tell the data format from the fields \(question, answer\)/);
  });

  it('checks records against an explicit format', () => {
    const d = loadDatasetFromText('{"prompt": "a", "completion": 3}\n{"text": "x"}\n', 'x.jsonl', { tokenizer, format: 'prompt-completion' });
    assert.deepEqual(d.errors.map(formatDataError), ['x.jsonl:1: /completion: must be string', 'x.jsonl:2: /prompt: missing required field', 'x.jsonl:2: /completion: missing required field']);
  });

  it('rejects record-level scores in the responses format, pointing at them', () => {
    const d = loadDatasetFromText('{"prompt": "a", "responses": [{"completion": "b", "reward": 1}], "scores": {}}\n', 'r.jsonl', { tokenizer });
    assert.equal(d.errors.length, 1);
    assert.equal(d.errors[0]!.pointer, '/scores');
  });

  it('reports an empty file', () => {
    const d = loadDatasetFromText('\n\n', 'empty.jsonl', { tokenizer });
    assert.deepEqual(d.errors.map(formatDataError), ['empty.jsonl: no records: the file is empty']);
  });

  it('reports a missing file at line 0 without throwing', () => {
    const d = loadDataset(dataFixture('nope.jsonl'), { tokenizer });
    assert.equal(d.errors.length, 1);
    assert.match(formatDataError(d.errors[0]!), /nope\.jsonl: no such data file$/);
  });
});
