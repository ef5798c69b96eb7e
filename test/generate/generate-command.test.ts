// `sftgoc generate` and `eval --generate` as a user runs them, on the bundled model: records with
// every field, repeatable seeds, batch-independent rows, and a clear error with exit 1 or 2 (never a
// hang) for each bad input the issue lists.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers/golden.js';
import { runCli } from '../cli/helpers/cli.js';
import { requireTorch } from '../engine/torch/helpers.js';

const MODEL = join(repoRoot, 'assets', 'default', 'model');
const Q1 = 'Question: When was Reisteiboum founded?\nAnswer:';
const Q2 = 'Question: What do you know about Tepezol?\nAnswer:';

interface Record {
  prompt: string;
  sample: number;
  completion: string;
  ids: number[];
  finish: string;
  logprob: number;
}

const records = (stdout: string): Record[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record);

describe('generate: the command on the bundled model', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-generate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--json: one record a completion with prompt, sample, completion, ids, finish and logprob', () => {
    const r = runCli(['generate', '--model', MODEL, '--prompt', Q1, '--prompt', Q2, '--max-new', '12', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rs = records(r.stdout);
    assert.equal(rs.length, 2);
    assert.deepEqual(rs.map((x) => x.prompt), [Q1, Q2]);
    for (const x of rs) {
      assert.ok(['eos', 'length'].includes(x.finish));
      assert.ok(x.ids.length <= 12 && x.ids.length > 0);
      assert.ok(x.logprob < 0 && Number.isFinite(x.logprob));
      if (x.finish === 'length') assert.equal(x.ids.length, 12);
    }
  });

  it('a seed makes samples repeatable; another seed changes them; rows do not depend on the batch', () => {
    const args = ['generate', '--model', MODEL, '--prompt', Q1, '--prompt', Q2, '--max-new', '10', '--temperature', '1', '--n', '3', '--json'];
    const a = records(runCli([...args, '--seed', '5']).stdout);
    const b = records(runCli([...args, '--seed', '5', '--batch', '1']).stdout);
    const c = records(runCli([...args, '--seed', '6']).stdout);
    assert.equal(a.length, 6);
    assert.deepEqual(a.map((x) => x.ids), b.map((x) => x.ids));
    assert.notDeepEqual(a.map((x) => x.ids), c.map((x) => x.ids));
    assert.deepEqual(a.map((x) => [x.prompt, x.sample]), [[Q1, 0], [Q1, 1], [Q1, 2], [Q2, 0], [Q2, 1], [Q2, 2]]);
  });

  it('a stop string cuts the completion before it, with finish "stop"', () => {
    const greedy = records(runCli(['generate', '--model', MODEL, '--prompt', Q1, '--max-new', '30', '--json']).stdout)[0]!;
    const word = greedy.completion.trim().split(/\s+/)[2]!;
    const r = runCli(['generate', '--model', MODEL, '--prompt', Q1, '--max-new', '30', '--json', '--stop', word]);
    const cut = records(r.stdout)[0]!;
    assert.equal(cut.finish, 'stop');
    assert.equal(cut.completion, greedy.completion.slice(0, greedy.completion.indexOf(word)));
    assert.ok(cut.ids.length < greedy.ids.length);
    assert.deepEqual(cut.ids, greedy.ids.slice(0, cut.ids.length));
  });

  it('--data renders a data file\'s prompts as training does, and --out writes the records', () => {
    const out = join(dir, 'out.jsonl');
    const r = runCli(['generate', '--model', MODEL, '--data', join(repoRoot, 'assets/default/data/eval.jsonl'), '--limit', '2', '--max-new', '4', '--out', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const first = JSON.parse(readFileSync(join(repoRoot, 'assets/default/data/eval.jsonl'), 'utf8').split('\n')[0]!) as { prompt: string };
    const written = records(readFileSync(out, 'utf8'));
    assert.equal(written.length, 2);
    assert.equal(written[0]!.prompt, first.prompt);
    assert.deepEqual(written, records(r.stdout));
  });

  it('the torch engine samples the same completions as the tfjs engine (same seed, temperature, top-p, n)', function () {
    requireTorch(this);
    const args = ['generate', '--model', MODEL, '--prompt', Q1, '--prompt', Q2, '--max-new', '12', '--temperature', '0.9', '--top-p', '0.95', '--n', '2', '--seed', '3', '--json'];
    const tfjs = records(runCli([...args, '--engine', 'tfjs']).stdout);
    const torch = runCli([...args, '--engine', 'torch']);
    assert.equal(torch.status, 0, torch.stderr);
    const t = records(torch.stdout);
    assert.deepEqual(t.map((x) => x.ids), tfjs.map((x) => x.ids));
    t.forEach((x, i) => assert.ok(Math.abs(x.logprob - tfjs[i]!.logprob) < 1e-3, `row ${i}: ${x.logprob} vs ${tfjs[i]!.logprob}`));
  });

  const bad: Array<[string, string[], number, RegExp]> = [
    ['--max-new 0', ['--prompt', Q1, '--max-new', '0'], 2, /--max-new 0: expected a whole number of at least 1/],
    ['--max-new above the positions', ['--prompt', Q1, '--max-new', '500'], 2, /the model has 128 positions/],
    ['a prompt that leaves no room', ['--prompt', 'x '.repeat(200), '--max-new', '8'], 1, /--prompt 1: \d+ prompt tokens \+ --max-new 8 exceed the model's 128 positions/],
    ['an empty prompt', ['--prompt', ''], 1, /--prompt 1: the prompt is empty/],
    ['an unknown option', ['--prompt', Q1, '--temprature', '1'], 2, /Nonexistent flag: --temprature/],
    ['a temperature that is not a number', ['--prompt', Q1, '--temperature', 'hot'], 2, /--temperature hot: expected a number/],
    ['top-p out of range', ['--prompt', Q1, '--top-p', '1.5'], 2, /--top-p 1.5: expected a number in \(0, 1\]/],
    ['both --prompt and --data', ['--prompt', Q1, '--data', 'x.jsonl'], 2, /give --prompt TEXT \(repeatable\) or --data FILE/],
  ];
  for (const [what, args, status, message] of bad) {
    it(`${what}: exit ${status} with a message naming it`, () => {
      const r = runCli(['generate', '--model', MODEL, ...args]);
      assert.equal(r.status, status, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  it('a bad prompt file: exit 1 naming the file and line', () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, `{"prompt": "Question: a?\\nAnswer:", "answer": "b"}\n{"prompt": 3}\nnot json\n`);
    const r = runCli(['generate', '--model', MODEL, '--data', file]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2`));
    assert.match(r.stderr, /:3/);
  });

  it('a directory that is not a model: exit 1 naming it', () => {
    const r = runCli(['generate', '--model', dir, '--prompt', Q1]);
    assert.equal(r.status, 1, r.stderr);
    assert.ok(r.stderr.includes(dir));
  });
});

describe('eval --generate on the bundled model', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-eval-generate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('scores greedy answers: questions whose answer is what the model says score 100%, others 0%, and the answers are written', () => {
    // The model's own greedy answers (cut at the first line break, as eval --generate cuts them) make a key it must match.
    const prompts = ['Question: When was Reisteiboum founded?\nAnswer:', 'Question: Who designed the Tepezol?\nAnswer:'];
    const said = records(runCli(['generate', '--model', MODEL, ...prompts.flatMap((p) => ['--prompt', p]), '--max-new', '48', '--stop', '\n', '--json']).stdout);
    const questions = join(dir, 'questions.jsonl');
    writeFileSync(questions, [
      JSON.stringify({ prompt: prompts[0], answer: said[0]!.completion }),
      JSON.stringify({ prompt: prompts[1], answer: 'no such answer zzz', facts: ['zzz', said[1]!.completion.split(/[^A-Za-z]+/).find((w) => w.length > 3)!] }),
    ].join('\n') + '\n');
    const out = join(dir, 'generations');
    const r = runCli(['eval', '--model', MODEL, '--data', questions, '--generate', '--generations', out, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { generation: { n: number; exact: number; contains: number; facts: number } };
    assert.equal(doc.generation.n, 2);
    assert.equal(doc.generation.exact, 0.5);
    assert.equal(doc.generation.contains, 0.5);
    assert.equal(doc.generation.facts, 0.5);
    const lines = readFileSync(join(out, 'generations.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { completion: string; exact: number });
    assert.deepEqual(lines.map((l) => l.exact), [1, 0]);
    assert.equal(lines[0]!.completion, said[0]!.completion);
    const summary = JSON.parse(readFileSync(join(out, 'generation.json'), 'utf8')) as { n: number; contains: number };
    assert.deepEqual([summary.n, summary.contains], [2, 0.5]);
  });

  it('--questions without --generate is a usage error', () => {
    const r = runCli(['eval', '--model', MODEL, '--data', 'x.jsonl', '--questions', 'q.jsonl']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--questions only mean something with --generate/);
  });
});
