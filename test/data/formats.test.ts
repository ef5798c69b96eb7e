import { strict as assert } from 'node:assert';
import { loadDataset } from '../../src/data/dataset.js';
import { bundledTokenizer, fixtureDir, mustLoad } from '../tokenizer/helpers.js';
import { dataFixture, lossText, promptText } from './helpers.js';

describe('data formats render to text, loss mask, offsets and span scores', () => {
  const tokenizer = bundledTokenizer();
  const load = (name: string, extra: object = {}) => {
    const d = loadDataset(dataFixture(name), { tokenizer, ...extra });
    assert.deepEqual(d.errors, []);
    return d;
  };

  it('alpaca: instruction (and input) in the prompt, output and eos carry the loss', () => {
    const d = load('alpaca.jsonl');
    assert.equal(d.format, 'alpaca');
    const [a, b] = d.samples;
    assert.equal(a!.text, '### Instruction:\nName the river.\n\n### Response:\nThe Sisoth.');
    assert.equal(lossText(a!), 'The Sisoth.');
    assert.equal(a!.ids.at(-1), tokenizer.eosId, 'eos appended');
    assert.equal(a!.lossMask.at(-1), true, 'eos carries a loss');
    assert.deepEqual(a!.spanScores.fact, [{ start: a!.text.indexOf('Sisoth'), end: a!.text.indexOf('Sisoth') + 6, score: 1 }]);
    assert.equal(b!.text, '### Instruction:\nAdd them.\n\n### Input:\n2 and 3\n\n### Response:\n5');
    assert.equal(lossText(b!), '5');
  });

  it('prompt-completion: the completion carries the loss, scores move to text offsets', () => {
    const [s] = load('prompt-completion.jsonl').samples;
    assert.equal(s!.text, 'Question: Who?\nAnswer: Velmora.');
    assert.equal(promptText(s!), 'Question: Who?\nAnswer:');
    assert.equal(lossText(s!), ' Velmora.');
    const span = s!.spanScores.fact![0]!;
    assert.equal(s!.text.slice(span.start, span.end), 'Velmora');
    assert.equal(span.score, 0.5);
    assert.equal(s!.lossMask[0], false, 'token 0 never carries a loss');
    assert.deepEqual(s!.source, { file: dataFixture('prompt-completion.jsonl'), line: 1 });
  });

  it('text: every token but the first carries the loss', () => {
    const [s] = load('text.jsonl').samples;
    assert.deepEqual(s!.lossMask, s!.ids.map((_, i) => i > 0));
    assert.equal(lossText(s!), s!.text.slice(s!.offsets[1]![0]));
  });

  it('loss_on = "all" puts the loss on the prompt too', () => {
    const [s] = load('prompt-completion.jsonl', { lossOn: 'all' }).samples;
    assert.deepEqual(s!.lossMask, s!.ids.map((_, i) => i > 0));
  });

  it('chat with the tokenizer template: loss on assistant turns and their end marker only', () => {
    const [s] = load('chat.jsonl').samples;
    assert.equal(
      s!.text,
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n' +
        '<|im_start|>user\nWhere?<|im_end|>\n<|im_start|>assistant\nIn Velmora ☃.<|im_end|>\n',
    );
    assert.equal(lossText(s!), 'Hello!<|im_end|>In Velmora ☃.<|im_end|>');
    // Spans index the last assistant message in code points; ☃ is one code point.
    const [velmora, snowman] = s!.spanScores.fact!;
    assert.equal(s!.text.slice(velmora!.start, velmora!.end), 'Velmora');
    assert.equal(s!.text.slice(snowman!.start, snowman!.end), '☃');
    assert.equal(s!.ids.at(-1), tokenizer.eosId);
  });

  it('chat without a template falls back to ChatML, with the same masking', () => {
    const plain = mustLoad(fixtureDir('wordlevel'));
    const d = loadDataset(dataFixture('chat.jsonl'), { tokenizer: plain });
    assert.deepEqual(d.errors, []);
    assert.equal(d.samples[0]!.text, load('chat.jsonl').samples[0]!.text);
  });

  it('chat with another template: assistant turns found by rendering prefixes', () => {
    const t = mustLoad(fixtureDir('metaspace')); // "[role] content</s>" per message
    const d = loadDataset(dataFixture('chat.jsonl'), { tokenizer: t });
    assert.deepEqual(d.errors, []);
    const s = d.samples[0]!;
    assert.equal(s.text, '[system] Be brief.</s>[user] Hi</s>[assistant] Hello!</s>[user] Where?</s>[assistant] In Velmora ☃.</s>');
    const loss = s.offsets.filter((_, i) => s.lossMask[i]).map(([a, b]) => s.text.slice(a, b));
    assert.ok(loss.every((p) => !p.includes('user') && !p.includes('system')), `prompt text in the loss: ${loss.join('|')}`);
  });

  it('chat with a template that rewrites earlier turns: assistant content found by search', () => {
    const t = mustLoad(fixtureDir('last-marker')); // writes "final " before the last message only
    const d = loadDataset(dataFixture('chat.jsonl'), { tokenizer: t });
    assert.deepEqual(d.errors, []);
    const s = d.samples[0]!;
    assert.ok(s.text.includes('final assistant: In Velmora ☃.'));
    const loss = s.offsets.filter((_, i) => s.lossMask[i]).map(([a, b]) => s.text.slice(a, b)).filter((p) => p !== '');
    // Word-level tokens (most are <unk>, each covering its word): exactly the two assistant contents.
    assert.deepEqual(loss, ['Hello', '!', 'In', 'Velmora', '☃.']);
  });

  it('responses: one sample per response with reward and group-normalised advantage (sample std, as verl)', () => {
    const d = load('responses.jsonl');
    assert.equal(d.stats.records, 2);
    assert.equal(d.stats.samples, 4);
    const [r1, r0, rh, only] = d.samples;
    assert.deepEqual([r1!.reward, r0!.reward, rh!.reward], [1, 0, 0.5]);
    // verl's compute_grpo_outcome_advantage: torch.std, unbiased (n − 1).
    const std = Math.sqrt((0.25 + 0.25 + 0) / 2);
    assert.ok(Math.abs(r1!.advantage - 0.5 / (std + 1e-6)) < 1e-9);
    assert.ok(Math.abs(r0!.advantage + 0.5 / (std + 1e-6)) < 1e-9);
    assert.equal(rh!.advantage, 0);
    // One response: mean 0, std 1, so the advantage is the reward itself (/ (1 + 1e-6)).
    assert.ok(Math.abs(only!.advantage - only!.reward / (1 + 1e-6)) < 1e-12, 'a single response keeps its reward');
    assert.equal(lossText(r0!), ' wrong');
    assert.equal(rh!.text.slice(rh!.spanScores.fact![0]!.start, rh!.spanScores.fact![0]!.end), 'half');
    assert.deepEqual(d.samples.map((s) => s.index), [0, 1, 2, 3]);
  });

  it('counts tokens and loss tokens', () => {
    const d = load('alpaca.jsonl');
    assert.equal(d.stats.tokens, d.samples.reduce((a, s) => a + s.ids.length, 0));
    assert.equal(d.stats.lossTokens, d.samples.reduce((a, s) => a + s.lossMask.filter((m) => m).length, 0));
  });
});
