// The torch engine's on-policy path (src/engine/torch/python/sftgoc_onpolicy.py, the contract of
// src/language/on-policy.ts), against independent TypeScript implementations:
//   - a response's text from the byte table equals tokenizer.decode(ids, {skipSpecialTokens: true})
//     on random id sequences for the bundled byte-level tokenizer and two SentencePiece-style ones
//     (Metaspace BPE, Unigram), and on every rollout of a run;
//   - normalize_answer equals score.ts's normalizeAnswer; a translated regex matches where
//     RE2 (src/util/safe-regex.ts) does, and patterns whose meaning differs are refused;
//   - a run's rollouts: prompts in the seeded epoch order, rewards recomputed by score.ts / RE2,
//     advantages by render.ts's groupAdvantages, reward_mean/std from them;
//   - --nproc 2 gives the same rollouts and losses as one process;
//   - a reward command that hangs, exits non-zero, prints a non-number or the wrong count: an error
//     naming the record within its bound, no process left behind, and the run resumes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mixSeed, mulberry32, randInt } from '../../../src/util/prng.js';
import { groupAdvantages } from '../../../src/data/render.js';
import { compileSafeRegex } from '../../../src/util/safe-regex.js';
import { checkDecodeTable, decodeTable } from '../../../src/engine/torch/decode-table.js';
import { epochOrders } from '../../../src/engine/torch/export.js';
import { PYTHON_RUNTIME_DIR } from '../../../src/engine/torch/python-env.js';
import { containsAnswer, factShare, normalizeAnswer } from '../../../src/data/score.js';
import type { OnPolicyNeeds, RolloutRecord } from '../../../src/language/on-policy.js';
import { repoRoot } from '../../helpers/golden.js';
import { mustLoad, fixtureDir } from '../../tokenizer/helpers.js';
import { requireTorch } from './helpers.js';
import { bundled, firstPrompts, harnessRun, type HarnessResult } from './onpolicy-harness.js';

function probe(python: string, request: unknown): Record<string, unknown> {
  const out = execFileSync(python, [join(repoRoot, 'test', 'engine', 'torch', 'eval_onpolicy.py'), PYTHON_RUNTIME_DIR], { input: JSON.stringify(request), encoding: 'utf8' });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('torch engine on-policy: the pure parts against TypeScript', function () {
  this.timeout(60_000);
  // One Python for all the cases below (importing torch costs seconds on a busy machine).
  const tokenizers = [
    ['bundled byte-level BPE', () => bundled()],
    ['Metaspace BPE (SentencePiece-style, clean-up of spaces on)', () => mustLoad(join(repoRoot, 'test', 'tokenizer', 'fixtures', 'hf', 'metaspace-bpe'))],
    ['Unigram with Metaspace', () => mustLoad(join(repoRoot, 'test', 'tokenizer', 'fixtures', 'hf', 'unigram'))],
  ] as const;
  const requests: Record<string, unknown> = {};
  let answers: Record<string, unknown> = {};
  const decodeCases = tokenizers.map(([, load]) => {
    const tokenizer = load();
    const rng = mulberry32(mixSeed(41, 2));
    return { tokenizer, table: decodeTable(tokenizer), cases: Array.from({ length: 600 }, () => Array.from({ length: randInt(rng, 1, 30) }, () => randInt(rng, 0, tokenizer.vocabSize - 1))) };
  });
  requests.decode = decodeCases.map((c) => ({ table: c.table, cases: c.cases }));
  const strings = [
    'The Sisoth.', '1,862', '3.5 and -40', '−40°', 'a-40', 'Movan\'s', 'red/blue', '😀 sun', 'x😀,1', '1,😀', '\u00a0An  apple\u2003',
    'ＡＢＣ１２', 'soft\u00adhyphen', 'zero\u200bwidth', 'sep\u001carated', 'Σ final ΟΣ', 'İstanbul', 'ﬁne', '…', '$5,000.00!', '', '  ', 'the a an',
  ];
  requests.normalize = strings;
  const texts = ['It is 1862.', 'Émile was here\n', 'line\nbreak', 'naïve café', 'x_y z', '', 'ab', 'a\u2028b', 'tab\there', '[x]', 'end\n', '١٢٣'];
  const patterns = [
    '\\bis\\b', '\\d+', '^It', 'here$', 'line.break', '[^a-z ]', '\\w+\\s\\w+', 'caf\\x{e9}', '\\xe9', '(?P<y>y) z', '(?<w>x)_', '(?:ab)+', '[\\d.]+$',
    '\\Bb', 'na.ve', '\\S\\s\\S', '[\\w-]+', '\\x41|\\x61', '\\t', '\\.$', '[[x]', 'a{2}|b{1,}', 'a{,2}', '[]a]', '\\Qa.b\\E', '\\101',
    '\\Aline\\z', 'a\\sb', '\\v', 'x{1}y{0,}?', '[^]x]',
  ];
  const refused = ['\\pL', '\\p{Greek}', '(?i)abc', '[[:alpha:]]', '[\\D]'];
  requests.regex = [...patterns.map((pattern) => ({ pattern, texts })), ...refused.map((pattern) => ({ pattern, texts: [] }))];
  const rec = { index: 0, text: 'Q', answer: 'Sisoth', facts: ['1862', 'blue river'] };
  const responses = ['It is the Sisoth.', 'sisoth', 'In 1,862 the Blue River.', 'nothing', ''];
  requests.rewards = ['facts', 'contains', 'exact'].map((kind) => ({ spec: { kind }, rows: responses.map((r) => [rec, r]) }));
  const groups = [[1], [0, 0, 0], [0.25, 1, 0, 0.5], [3, -1]];
  requests.advantages = groups;

  before(function () {
    answers = probe(requireTorch(this).python, requests);
  });

  tokenizers.forEach(([name], t) => {
    it(`${name}: the byte table's text equals tokenizer.decode on 600 random sequences`, () => {
      const { tokenizer, cases } = decodeCases[t]!;
      const got = (answers.decode as string[][])[t]!;
      cases.forEach((ids, i) => assert.equal(got[i], tokenizer.decode(ids, { skipSpecialTokens: true }), `ids ${JSON.stringify(ids)}`));
    });
  });

  it('refuses a tokenizer whose decoding the table does not reproduce (WordPiece ## pieces)', () => {
    const tokenizer = mustLoad(fixtureDir('wordpiece'));
    assert.match(checkDecodeTable(tokenizer, decodeTable(tokenizer)) ?? '', /cannot reproduce .*decoding.*--engine tfjs/);
  });

  it('normalize_answer equals normalizeAnswer (astral symbols, JavaScript whitespace, numbers, Cf)', () => {
    const got = answers.normalize as string[];
    strings.forEach((s, i) => assert.equal(got[i], normalizeAnswer(s), JSON.stringify(s)));
  });

  it('a translated regex matches where RE2 (the checker\'s and the tfjs engine\'s) does; patterns that differ are refused', () => {
    const got = answers.regex as Array<{ matches?: boolean[]; refused?: string }>;
    patterns.forEach((p, i) => {
      assert.equal(got[i]!.refused, undefined, `${p} refused: ${got[i]!.refused}`);
      const re = compileSafeRegex(p);
      assert.ok('regex' in re, `${p} is a pattern the checker accepts`);
      texts.forEach((t, k) => assert.equal(got[i]!.matches![k], re.regex.test(t), `${p} on ${JSON.stringify(t)}`));
    });
    refused.forEach((p, i) => {
      assert.ok('regex' in compileSafeRegex(p), `${p} is a pattern the checker accepts`);
      assert.ok(got[patterns.length + i]!.refused !== undefined, `${p} should be refused`);
    });
  });

  it('rewards and advantages equal score.ts and groupAdvantages', () => {
    const [facts, contains, exact] = answers.rewards as number[][];
    responses.forEach((r, i) => {
      assert.equal(facts![i], factShare(r, rec.facts));
      assert.equal(contains![i], containsAnswer(r, rec.answer) ? 1 : 0);
      assert.equal(exact![i], normalizeAnswer(r) === normalizeAnswer(rec.answer) ? 1 : 0);
    });
    groups.forEach((g, i) => assert.deepEqual((answers.advantages as number[][])[i], groupAdvantages(g)));
  });
});

describe('torch engine on-policy: runs', function () {
  this.timeout(300_000);
  let python = '';
  let dir = '';
  before(async function () {
    python = requireTorch(this).python;
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-torch-onpolicy-'));
  });
  after(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  const pattern = '\\b(is|was)\\b';
  const needs: OnPolicyNeeds = { sample: { n: 3, temperature: 1, topP: 0.95, maxNew: 8 }, reward: { kind: 'regex', pattern } };
  const prompts = () => firstPrompts(6);
  let single: HarnessResult | undefined;

  it('3 steps at temperature 1: prompt order, texts, rewards, advantages and reward statistics recomputed', async () => {
    const r = await harnessRun({ dir: join(dir, 'one'), python, needs, prompts: prompts(), train: ['batch = 2', 'steps = 3', 'grad_accum = 2'] });
    assert.equal(r.outcome.status, 'completed', r.outcome.message ?? r.problems?.join('\n'));
    single = r;
    assert.equal(r.rollouts.length, 6);
    // The seeded epoch order over prompt indices (gradAccum 1: one batch of prompts an update).
    const order = epochOrders(prompts(), { batch: 2, gradAccum: 1, epochs: 1, steps: 3, seed: 3 });
    assert.deepEqual(r.rollouts.map((x) => x.prompt_index), order[0]!.slice(0, 6));
    assert.deepEqual(r.rollouts.map((x) => x.step), [1, 1, 2, 2, 3, 3]);
    const compiled = compileSafeRegex(pattern);
    assert.ok('regex' in compiled);
    const re = compiled.regex;
    let varied = 0;
    for (const roll of r.rollouts) {
      assert.equal(roll.prompt, prompts()[roll.prompt_index]!.text);
      assert.equal(roll.responses.length, 3);
      for (const resp of roll.responses) {
        assert.equal(resp.completion, bundled().decode(resp.ids, { skipSpecialTokens: true }));
        assert.ok(resp.ids.length <= 8 && (resp.finish === 'eos' || resp.ids.length === 8));
        assert.equal(resp.reward, re.test(resp.completion) ? 1 : 0);
      }
      const rewards = roll.responses.map((x) => x.reward);
      if (new Set(rewards).size > 1) varied++;
      assert.deepEqual(roll.responses.map((x) => x.advantage), groupAdvantages(rewards));
    }
    assert.ok(varied > 0, 'some prompt has responses of different rewards (else the test checks nothing of the loss)');
    r.metrics.forEach((m, s) => {
      const rewards = r.rollouts.filter((x) => x.step === s + 1).flatMap((x) => x.responses.map((y) => y.reward));
      const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
      assert.ok(Math.abs(m.reward_mean - mean) < 1e-12);
      assert.ok(Math.abs(m.reward_std - Math.sqrt(rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / rewards.length)) < 1e-12);
    });
  });

  it('--nproc 2 gives the same rollouts and losses as one process', async () => {
    assert.ok(single !== undefined, 'needs the one-process run');
    const r = await harnessRun({ dir: join(dir, 'two'), python, nproc: 2, needs, prompts: prompts(), train: ['batch = 2', 'steps = 3', 'grad_accum = 2'] });
    assert.equal(r.outcome.status, 'completed', r.outcome.message);
    assert.deepEqual(r.rollouts, single.rollouts);
    // The same rollouts (token ids) exactly; the losses within float32 reduction order: one process
    // runs its products on two OpenBLAS threads, two processes on one each (backend/blas/child-env.ts).
    r.metrics.forEach((m, i) => assert.ok(Math.abs(m.loss - single!.metrics[i]!.loss) <= 1e-4 * Math.max(1e-6, Math.abs(single!.metrics[i]!.loss)), `step ${m.step}: ${m.loss} vs ${single!.metrics[i]!.loss}`));
  });

  it('a regex reward with no same-meaning translation stops the run before its first step, saying why', async () => {
    const r = await harnessRun({ dir: join(dir, 'unicode-class'), python, needs: { ...needs, reward: { kind: 'regex', pattern: '\\pL+' } }, prompts: prompts(), train: ['batch = 2', 'steps = 1'] });
    // Refused before training: the run's input is unusable on this engine (exit 1), nothing diverged.
    assert.equal(r.outcome.status, 'rejected');
    assert.match(r.outcome.message ?? '', /reward = regex\("\\\\pL\+"\): the torch engine cannot match this pattern as RE2 does: Unicode classes \(\\p\); use --engine tfjs/);
    assert.deepEqual(r.rollouts, []);
  });

  // A reward program that answers on its first call (step 1) and misbehaves on the second (step 2).
  async function program(name: string, bad: string): Promise<string> {
    const file = join(dir, `${name}.sh`);
    const count = join(dir, `${name}.count`);
    await writeFile(file, [
      '#!/bin/sh',
      `n=$(cat ${count} 2>/dev/null || echo 0); echo $((n + 1)) > ${count}`,
      `if [ "$n" -ge 1 ]; then ${bad}; fi`,
      'while IFS= read -r line; do echo 0.5; done',
      '',
    ].join('\n'));
    chmodSync(file, 0o755);
    return file;
  }
  const rec = String.raw`prompt .*questions\.jsonl:\d+ \(index \d+\), response`;
  const cases: Array<{ name: string; bad: string; message: RegExp; timeoutMs?: number }> = [
    { name: 'hangs', bad: 'sleep 97; exit 0', message: new RegExp(`no answer within its timeout of 1\\.5 s for the step's 6 responses \\(first: ${rec} 0\\); it was killed`), timeoutMs: 1500 },
    { name: 'exits', bad: 'echo broken >&2; exit 4', message: new RegExp(`exited with status 4 on the step's 6 responses \\(first: ${rec} 0\\); its stderr ends: broken`) },
    { name: 'words', bad: 'cat > /dev/null; for i in 1 2 3 4 5 6; do echo good; done; exit 0', message: new RegExp(`line 1 of its output is not a number \\("good"\\), for ${rec} 0`) },
    { name: 'short', bad: 'cat > /dev/null; echo 1; echo 2; exit 0', message: new RegExp(`printed 2 lines for 6 responses \\(one number a line, in input order\\); the first without one is ${rec} 2`) },
    { name: 'floods', bad: 'yes 1; exit 0', message: /wrote more than 67072 bytes for 6 responses/ },
  ];
  for (const c of cases) {
    it(`a reward command that ${c.name}: an error naming the record at step 2, nothing left running, the run resumes`, async () => {
      const path = await program(c.name, c.bad);
      const reward = { kind: 'command' as const, path, timeoutMs: c.timeoutMs ?? 20_000 };
      const at = join(dir, `cmd-${c.name}`);
      const t0 = Date.now();
      const r = await harnessRun({ dir: at, python, needs: { ...needs, reward }, prompts: prompts(), train: ['batch = 2', 'steps = 3'] });
      const seconds = (Date.now() - t0) / 1000;
      assert.equal(r.outcome.status, 'diverged');
      assert.match(r.outcome.message ?? '', c.message);
      assert.match(r.outcome.message ?? '', /^step 2: reward command /);
      assert.equal(r.outcome.step, 1);
      assert.ok(seconds < 60, `took ${seconds}s`);
      const left = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('sleep 97') || l.includes(`${at}/run/torch`));
      assert.deepEqual(left, [], 'the reward program and the workers are gone');
      assert.deepEqual(r.rollouts.map((x) => x.step), [1, 1]);
      if (c.name !== 'hangs') return;
      // The checkpoint of step 1 continues with a program that answers: steps 2 and 3, rollouts not doubled.
      const good = await program('good', 'true');
      const resumed = await harnessRun({
        dir: at, python, needs: { ...needs, reward: { ...reward, path: good } }, prompts: prompts(), train: ['batch = 2', 'steps = 3'], resumeFrom: join(at, 'run', 'checkpoints', 'step-1'),
      });
      assert.equal(resumed.outcome.status, 'completed', resumed.outcome.message);
      assert.deepEqual(resumed.rollouts.map((x) => x.step), [1, 1, 2, 2, 3, 3]);
      assert.deepEqual(resumed.metrics.map((m) => m.step), [1, 2, 3]);
    });
  }
});

export type { RolloutRecord };
