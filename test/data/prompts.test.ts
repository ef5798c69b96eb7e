import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { loadDataset } from '../../src/data/dataset.js';
import { formatDataError } from '../../src/data/jsonl.js';
import { loadPrompts } from '../../src/data/prompts.js';
import { renderRecord } from '../../src/data/render.js';
import { detectFormat, type SchemaProblem } from '../../src/data/schema.js';
import type { DataFormat } from '../../src/data/types.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';
import { bundledTokenizer, fixtureDir, mustLoad } from '../tokenizer/helpers.js';
import { dataFixture } from './helpers.js';

/**
 * The reference: what the training renderer puts before the last response of each record of a file
 * (the text up to the start of its last response range), computed from the full training text.
 */
function trainingPrefixes(file: string, format: DataFormat, tokenizer: Tokenizer): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const problems: SchemaProblem[] = [];
      const [r] = renderRecord(format, JSON.parse(l), tokenizer, problems);
      assert.deepEqual(problems, []);
      return r!.text.slice(0, r!.responseRanges.at(-1)![0]);
    });
}

const tmp = mkdtempSync(join(tmpdir(), 'sftgoc-prompts-'));
let files = 0;
function jsonlFile(records: readonly object[]): string {
  const file = join(tmp, `f${files++}.jsonl`);
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  return file;
}

describe('loadPrompts: prompts for generation, rendered as training renders them', () => {
  const tokenizer = bundledTokenizer();
  const load = (file: string, t: Tokenizer = tokenizer) => {
    const d = loadPrompts(file, t);
    assert.deepEqual(d.errors.map(formatDataError), []);
    return d;
  };

  for (const [name, format] of [
    ['alpaca.jsonl', 'alpaca'],
    ['prompt-completion.jsonl', 'prompt-completion'],
    ['responses.jsonl', 'responses'],
    ['chat.jsonl', 'chat'],
  ] as const) {
    it(`${format}: the prompt is the training text before the response, ids its encoding without eos`, () => {
      const d = load(dataFixture(name));
      assert.equal(d.format, format);
      const expected = trainingPrefixes(dataFixture(name), format, tokenizer);
      assert.deepEqual(d.prompts.map((p) => p.text), expected);
      for (const p of d.prompts) {
        assert.deepEqual(p.ids, tokenizer.encode(p.text).ids);
        assert.notEqual(p.ids.at(-1), tokenizer.eosId);
      }
    });
  }

  it('the prompt tokens are the first tokens of the training sample (prompt-completion, alpaca)', () => {
    for (const name of ['prompt-completion.jsonl', 'alpaca.jsonl']) {
      const samples = loadDataset(dataFixture(name), { tokenizer }).samples;
      load(dataFixture(name)).prompts.forEach((p, i) => assert.deepEqual(samples[i]!.ids.slice(0, p.ids.length), p.ids, `${name} record ${i}`));
    }
  });

  it('chat with other templates: the prefix training puts before the last assistant turn', () => {
    for (const dir of ['wordlevel', 'metaspace']) {
      const t = mustLoad(fixtureDir(dir));
      const [p] = load(dataFixture('chat.jsonl'), t).prompts;
      assert.equal(p!.text, trainingPrefixes(dataFixture('chat.jsonl'), 'chat', t)[0], dir);
    }
    // Written out once, so the reference itself is pinned: "[role] content</s>" and "[assistant] ".
    const [m] = load(dataFixture('chat.jsonl'), mustLoad(fixtureDir('metaspace'))).prompts;
    assert.equal(m!.text, '[system] Be brief.</s>[user] Hi</s>[assistant] Hello!</s>[user] Where?</s>[assistant] ');
  });

  it('answers are the responses: output, completion, last assistant content, best-rewarded response', () => {
    assert.deepEqual(load(dataFixture('alpaca.jsonl')).prompts.map((p) => p.answer), ['The Sisoth.', '5']);
    assert.deepEqual(load(dataFixture('prompt-completion.jsonl')).prompts.map((p) => p.answer), [' Velmora.']);
    assert.deepEqual(load(dataFixture('chat.jsonl')).prompts.map((p) => p.answer), ['In Velmora ☃.']);
    assert.deepEqual(load(dataFixture('responses.jsonl')).prompts.map((p) => p.answer), [' right', ' only']);
  });

  it('training records carry facts in a `facts` field, checked by the prompts rule', () => {
    const good = load(jsonlFile([{ prompt: 'Q:', completion: ' yes', facts: ['yes'] }]));
    assert.deepEqual(good.prompts[0]!.facts, ['yes']);
    assert.equal(good.format, 'prompt-completion', 'a completion keeps the format prompt-completion');
    const bad = loadPrompts(jsonlFile([{ instruction: 'Q', output: 'A', facts: 'yes' }, { instruction: 'Q', output: 'A', facts: [1] }]), tokenizer);
    assert.deepEqual(bad.errors.map((e) => `${e.line}: ${e.pointer}: ${e.message}`), ['1: /facts: must be array', '2: /facts/0: must be string']);
  });

  it('a chat with no assistant message is all prompt, with the generation prompt and no answer', () => {
    const d = load(jsonlFile([{ messages: [{ role: 'user', content: 'Hi' }] }]), mustLoad(fixtureDir('wordlevel')));
    assert.deepEqual(d.prompts.map((p) => [p.text, p.answer]), [['<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n', undefined]]);
  });

  it('the prompts format: prompt verbatim, messages with the generation prompt, answer and facts kept', () => {
    const d = load(dataFixture('prompts.jsonl'));
    assert.equal(d.format, 'prompts');
    const [a, b, c] = d.prompts;
    assert.equal(a!.text, 'Question: Which river flows through Velmora?\nAnswer:');
    assert.equal(a!.answer, 'the Sisoth');
    assert.deepEqual(a!.facts, ['Sisoth']);
    // The bundled template is ChatML: the conversation, then the opening of the assistant's turn.
    assert.equal(b!.text, '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWhere is Velmora?<|im_end|>\n<|im_start|>assistant\n');
    assert.equal(b!.answer, undefined);
    assert.deepEqual(b!.facts, ['Drotodrei', '1,437']);
    assert.deepEqual([c!.answer, c!.facts], [undefined, undefined]);
    assert.deepEqual(d.prompts.map((p) => p.source.line), [1, 2, 4], 'blank lines keep their numbers');
    assert.deepEqual(d.prompts.map((p) => p.index), [0, 1, 2]);
    assert.deepEqual(d.stats, { records: 3, skipped: 0, prompts: 3, tokens: d.prompts.reduce((n, p) => n + p.ids.length, 0), withAnswer: 1, withFacts: 2 });
  });

  it('messages in a prompts record render as a chat prompt would (template and ChatML fallback agree)', () => {
    const plain = mustLoad(fixtureDir('wordlevel'));
    assert.equal(load(dataFixture('prompts.jsonl'), plain).prompts[1]!.text, load(dataFixture('prompts.jsonl')).prompts[1]!.text);
  });
});

describe('loadPrompts: bad records are errors naming file, line and JSON pointer', () => {
  const tokenizer = bundledTokenizer();
  const short = (e: Parameters<typeof formatDataError>[0]) => formatDataError({ ...e, file: basename(e.file) });

  it('reports every bad record at once', () => {
    const d = loadPrompts(dataFixture('bad-prompts.jsonl'), tokenizer);
    assert.equal(d.format, 'prompts');
    assert.deepEqual(d.errors.map(short), [
      'bad-prompts.jsonl:2: missing required field: one of prompt, messages',
      'bad-prompts.jsonl:3: /facts/1: must NOT have fewer than 1 characters',
      'bad-prompts.jsonl:4: /answer: must be string',
      'bad-prompts.jsonl:5: /prompt: empty prompt: there is nothing to generate from',
      'bad-prompts.jsonl:6: has more than one of prompt, messages: give one',
      'bad-prompts.jsonl:7: /facts: must NOT have fewer than 1 items',
      "bad-prompts.jsonl:8: /messages/1/role: a prompt ends where the answer starts: the last message may not be the assistant's",
      'bad-prompts.jsonl:9: /answer: has no words left once normalised (only punctuation, articles or spaces): no completion could match it',
      'bad-prompts.jsonl:9: /facts/0: has no words left once normalised (only punctuation, articles or spaces): no completion could state it',
      'bad-prompts.jsonl:10: /prompt: empty prompt: there is nothing to generate from',
    ]);
    assert.deepEqual(d.prompts.map((p) => p.source.line), [1]);
  });

  it('skipBadRecords skips and counts them instead', () => {
    const d = loadPrompts(dataFixture('bad-prompts.jsonl'), tokenizer, { skipBadRecords: true });
    assert.deepEqual(d.errors, []);
    assert.equal(d.stats.skipped, 9);
    assert.equal(d.skippedRecords.length, 10, 'line 9 has two problems');
    assert.equal(d.prompts.length, 1);
  });

  it('the text format has no prompt', () => {
    const d = loadPrompts(dataFixture('text.jsonl'), tokenizer);
    assert.deepEqual(d.errors.map(short), ['text.jsonl:1: the text format has no prompt: give prompts, prompt-completion, alpaca, chat or responses records']);
    assert.deepEqual(d.prompts, []);
  });

  it('an empty training prompt or a chat that starts with the answer is an empty prompt', () => {
    const file = jsonlFile([
      { prompt: '', completion: 'x' },
      { prompt: 'ok', completion: 'x' },
    ]);
    assert.deepEqual(loadPrompts(file, tokenizer).errors.map((e) => `${e.line}: ${e.pointer}`), ['1: /prompt']);
    const chat = jsonlFile([{ messages: [{ role: 'assistant', content: 'Hello' }] }]);
    assert.deepEqual(loadPrompts(chat, tokenizer).errors.map((e) => `${e.line}: ${e.pointer}: ${e.message}`), ['1: /messages: empty prompt: there is nothing to generate from']);
  });

  it('a prompt longer than maxPromptTokens is an error at its line', () => {
    const d = loadPrompts(dataFixture('prompts.jsonl'), tokenizer, { maxPromptTokens: 20 });
    const lengths = loadPrompts(dataFixture('prompts.jsonl'), tokenizer).prompts.map((p) => p.ids.length);
    const tooLong = [1, 2, 4].filter((_, i) => lengths[i]! > 20);
    assert.ok(tooLong.length > 0 && tooLong.length < 3, `lengths ${lengths.join(', ')}: the bound must split the fixture`);
    assert.deepEqual(d.errors.map((e) => e.line), tooLong);
    assert.match(d.errors[0]!.message, /^the prompt is \d+ tokens; at most 20 fit$/);
  });

  it('a missing file is an error at line 0, not an exception', () => {
    const d = loadPrompts(join(tmp, 'nope.jsonl'), tokenizer);
    assert.deepEqual(d.errors.map((e) => [e.line, e.message]), [[0, 'no such data file']]);
  });

  it('an over-long record is refused by data.max_record_bytes, as in training data', () => {
    // Line 2 is 141 bytes, the others shorter than 120.
    const d = loadPrompts(dataFixture('prompts.jsonl'), tokenizer, { maxRecordBytes: 120 });
    assert.deepEqual(d.errors.map(short), ['prompts.jsonl:2: the record is larger than data.max_record_bytes (141 bytes; the limit is 120)']);
    assert.deepEqual(d.prompts.map((p) => p.source.line), [1, 4]);
  });

  it('prompts files are refused as training data, naming the file, even with skipBadRecords', () => {
    for (const skipBadRecords of [false, true]) {
      const d = loadDataset(dataFixture('prompts.jsonl'), { tokenizer, skipBadRecords });
      assert.equal(d.errors.length, 1);
      assert.match(formatDataError(d.errors[0]!), /prompts\.jsonl: prompts records are questions for generation .*no response to train on/);
      assert.deepEqual(d.samples, []);
    }
  });
});

describe('format auto-detection with prompts', () => {
  const user = [{ role: 'user', content: 'Q' }];
  const cases: Array<[object, DataFormat | undefined]> = [
    [{ prompt: 'Q', answer: 'yes' }, 'prompts'],
    [{ prompt: 'Q', facts: ['yes'] }, 'prompts'],
    [{ messages: user, answer: 'yes' }, 'prompts'],
    // A response field keeps the training format: facts may ride along on training data.
    [{ prompt: 'Q', completion: 'A', facts: ['yes'] }, 'prompt-completion'],
    [{ instruction: 'Q', output: 'A', answer: 'yes' }, 'alpaca'],
    [{ prompt: 'Q', responses: [], answer: 'yes' }, 'responses'],
    [{ messages: [...user, { role: 'assistant', content: 'A' }], facts: ['yes'] }, 'chat'],
    // Unchanged: no answer or facts, or no prompt.
    [{ messages: user }, 'chat'],
    [{ prompt: 'Q', completion: 'A' }, 'prompt-completion'],
    [{ text: 'T', answer: 'yes' }, 'text'],
    [{ prompt: 'Q' }, undefined],
    [{ answer: 'yes' }, undefined],
  ];
  for (const [record, format] of cases) {
    it(`${JSON.stringify(record)} → ${format ?? 'none'}`, () => assert.equal(detectFormat(record), format));
  }

  it('auto picks prompts for a file of questions and checks every record against it', () => {
    const file = jsonlFile([{ prompt: 'Q', answer: 'yes' }, { prompt: 'Q2', completion: 'not a prompts field', answer: 'yes' }]);
    const d = loadPrompts(file, bundledTokenizer());
    assert.equal(d.format, 'prompts');
    assert.deepEqual(d.errors, [], 'extra fields are allowed, as in every format');
  });
});
