// The bundled question set (assets/default/data/questions.jsonl): it loads as `prompts`, it is
// held out from train/eval, and its `split` claims hold when recomputed here from the files by plain
// text search (not with the generator's span-based reading).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPrompts } from '../../src/data/prompts.js';
import { repoRoot } from '../helpers/golden.js';
import { bundledTokenizer } from '../tokenizer/helpers.js';
import { bundledQuestions } from '../../scripts/dataset/questions.js';

const asset = (...p: string[]) => join(repoRoot, 'assets', 'default', ...p);
const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');

interface Question {
  prompt: string;
  answer?: string;
  facts: string[];
  split: string;
}

const questionsFile = asset('data', 'questions.jsonl');
const questions = lines(questionsFile).map((l) => JSON.parse(l) as Question);
const train = lines(asset('data', 'train.jsonl')).map((l) => JSON.parse(l) as { prompt: string; completion: string });
const evalSet = lines(asset('data', 'eval.jsonl')).map((l) => JSON.parse(l) as { prompt: string; completion: string });

const sentences = (text: string) => text.split(/(?<=[.!?])\s+/).map((s) => s.toLowerCase());
const trainSentences = train.flatMap((r) => sentences(r.completion));
const corpusSentences = sentences(readFileSync(asset('corpus.txt'), 'utf8'));
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const word = (s: string) => new RegExp(`(^|[^a-z0-9])${escape(s.toLowerCase())}($|[^a-z0-9])`);

/** Some sentence of `pool` has both `name` and `value` as whole words (case ignored). */
function together(pool: readonly string[], name: string, value: string): boolean {
  const n = word(name);
  const v = word(value);
  return pool.some((s) => n.test(s) && v.test(s));
}

/** The entity a question asks about: the longest name of world.json in the prompt, as whole words. */
const names = (() => {
  const world = JSON.parse(readFileSync(asset('world.json'), 'utf8')) as Record<string, Array<{ name: string }> | string[]>;
  return (['towns', 'people', 'elements', 'products'] as const).flatMap((k) => (world[k] as Array<{ name: string }>).map((e) => e.name));
})();
function entityOf(prompt: string): string {
  const found = names.filter((n) => word(n).test(prompt.toLowerCase())).sort((a, b) => b.length - a.length);
  assert.ok(found.length > 0, `no entity in ${JSON.stringify(prompt)}`);
  return found[0]!;
}

describe('the bundled question set (assets/default/data/questions.jsonl)', () => {
  it('loads cleanly as prompts through loadPrompts, in the training prompt shape', () => {
    const d = loadPrompts(questionsFile, bundledTokenizer());
    assert.deepEqual(d.errors, []);
    assert.equal(d.format, 'prompts');
    assert.equal(d.prompts.length, 200);
    for (const p of d.prompts) assert.match(p.text, /^Question: [^\n]+\?\nAnswer:$|^Question: [^\n]+\.\nAnswer:$/);
    assert.equal(d.stats.withFacts, 200);
    assert.equal(d.stats.withAnswer, 160);
  });

  it('no question is a train or eval prompt, and none is asked twice', () => {
    const seen = new Set([...train, ...evalSet].map((r) => r.prompt));
    for (const q of questions) assert.ok(!seen.has(q.prompt), q.prompt);
    assert.equal(new Set(questions.map((q) => q.prompt)).size, questions.length);
  });

  it('the mix: 100 a split, each with 20 "about" questions of 2 or 3 facts and 80 of one short fact', () => {
    for (const split of ['train', 'corpus']) {
      const ofSplit = questions.filter((q) => q.split === split);
      const about = ofSplit.filter((q) => q.answer === undefined);
      const single = ofSplit.filter((q) => q.answer !== undefined);
      assert.deepEqual([about.length, single.length], [20, 80], split);
      for (const q of about) assert.ok(q.facts.length >= 2 && q.facts.length <= 3 && /about|describe/.test(q.prompt), q.prompt);
      for (const q of single) {
        assert.deepEqual(q.facts, [q.answer]);
        assert.ok(q.answer!.split(' ').length <= 3, `a short fact: ${q.answer}`);
      }
    }
    assert.equal(questions.filter((q) => q.split !== 'train' && q.split !== 'corpus').length, 0);
  });

  it('split claims hold: "train" facts are stated in train.jsonl, "corpus" facts only in corpus.txt', () => {
    for (const q of questions) {
      const name = entityOf(q.prompt);
      for (const fact of q.facts) {
        assert.ok(together(corpusSentences, name, fact), `corpus.txt states ${name}: ${fact}`);
        assert.equal(together(trainSentences, name, fact), q.split === 'train', `${q.split} question ${JSON.stringify(q.prompt)}: is ${name}: ${fact} in train.jsonl?`);
      }
    }
  });

  it('is what the generator writes from the bundled files (the committed file is up to date)', () => {
    assert.equal(bundledQuestions(repoRoot).map((q) => JSON.stringify(q) + '\n').join(''), readFileSync(questionsFile, 'utf8'));
  });
});
