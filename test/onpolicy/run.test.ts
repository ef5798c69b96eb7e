// On-policy runs end to end on the bundled model (tiny settings: 2 prompts an update, 3 responses
// each, 8 new tokens, 3 updates). rollouts.jsonl is checked against independent recomputations:
// every reward from its response text and record (independent-verifiers.ts, not score.ts), every
// advantage from its prompt's rewards (sample std, n − 1). The same seed gives the same rollouts
// and losses; a reward program that fails at step 2 stops the run (exit 3) with a checkpoint, and
// the resumed run ends with the same rollouts as a run that never failed.
import { strict as assert } from 'node:assert';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BufferOutput } from '../../src/cli/output.js';
import { runFile } from '../../src/app/run.js';
import type { RolloutRecord } from '../../src/language/on-policy.js';
import { repoRoot } from '../helpers/golden.js';
import { setFlag } from '../helpers/set-flag.js';
import { advantages, factsReward, type Record } from './independent-verifiers.js';

const assets = join(repoRoot, 'assets', 'default');

describe('on-policy training (tfjs engine)', function () {
  this.timeout(180000);
  let dir: string;
  let questions: string;
  let records: Record[];
  let previousBackend: string | undefined;

  before(function () {
    if (!existsSync(join(assets, 'model', 'config.json'))) this.skip();
    previousBackend = tf.getBackend();
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-onpolicy-'));
    const lines = readFileSync(join(assets, 'data', 'questions.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, 8);
    questions = join(dir, 'questions.jsonl');
    writeFileSync(questions, lines.join('\n') + '\n');
    records = lines.map((l) => JSON.parse(l) as Record);
  });
  after(async () => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    await tf.setBackend(previousBackend ?? 'cpu');
  });

  const run = async (file: string, out: string, extra: string[] = [], resume = false) => {
    const o = new BufferOutput();
    const settings = resume ? [] : [
      'train.steps=3', 'train.batch=2', 'train.eval_every=0', 'train.save_every=0', 'train.backend=wasm', 'data.max_len=64',
      'sample.n=3', 'sample.max_new=8', `data.train=${JSON.stringify(questions)}`, `train.out=${JSON.stringify(out)}`, ...extra,
    ].map(setFlag);
    const result = await runFile(resume ? undefined : file, { params: [], settings, skipBadRecords: false, quiet: true, json: true, tty: false, shouldStop: () => false, ...(resume ? { resume: out } : {}) }, o);
    return { result, stderr: o.stderrText };
  };
  const rollouts = (out: string) => readFileSync(join(out, 'rollouts.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as RolloutRecord);
  const metrics = (out: string) => readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; reward_mean: number; reward_std: number });

  const checkAdvantages = (rs: RolloutRecord[]) => {
    for (const r of rs) {
      const expected = advantages(r.responses.map((x) => x.reward));
      r.responses.forEach((x, j) => assert.ok(Math.abs(x.advantage - expected[j]!) <= 1e-9, `step ${r.step} prompt ${r.prompt_index} response ${j}: ${x.advantage} vs ${expected[j]}`));
    }
  };
  const checkShape = (rs: RolloutRecord[], ms: ReturnType<typeof metrics>) => {
    assert.deepEqual(rs.map((r) => r.step), [1, 1, 2, 2, 3, 3]);
    for (const r of rs) {
      assert.equal(r.responses.length, 3);
      assert.equal(r.prompt, records[r.prompt_index] === undefined ? undefined : (records[r.prompt_index] as { prompt?: string }).prompt);
      for (const x of r.responses) assert.ok(x.ids.length <= 8 && (x.finish === 'eos' || x.ids.length === 8));
    }
    // metrics' reward_mean and reward_std are the population statistics of the step's rewards.
    for (const m of ms) {
      const rewards = rs.filter((r) => r.step === m.step).flatMap((r) => r.responses.map((x) => x.reward));
      const mean = rewards.reduce((a, b) => a + b, 0) / rewards.length;
      assert.ok(Math.abs(m.reward_mean - mean) < 1e-12);
      assert.ok(Math.abs(m.reward_std - Math.sqrt(rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / rewards.length)) < 1e-12);
    }
  };

  it('std/gft (facts()): rewards and advantages recomputed from rollouts.jsonl', async () => {
    const out = join(dir, 'gft');
    const { result, stderr } = await run(join(repoRoot, 'stdlib', 'gft.sftgo'), out);
    assert.equal(result.exitCode, 0, stderr);
    const rs = rollouts(out);
    checkShape(rs, metrics(out));
    for (const r of rs) for (const x of r.responses) assert.equal(x.reward, factsReward(x.completion, records[r.prompt_index]!), `${r.prompt_index}: ${x.completion}`);
    checkAdvantages(rs);
  });

  const regexObjective = () => {
    const file = join(dir, 'vowels.sftgo');
    writeFileSync(file, 'loss = seqmean(ce·advantage)\nsample { n = 3 }\nreward = regex("[aeiou]{2}")\n');
    return file;
  };

  it('regex(): a reward with spread; the same seed gives the same rollouts and losses', async () => {
    const file = regexObjective();
    const a = join(dir, 'regex-a');
    const b = join(dir, 'regex-b');
    assert.equal((await run(file, a)).result.exitCode, 0);
    assert.equal((await run(file, b)).result.exitCode, 0);
    const rs = rollouts(a);
    checkShape(rs, metrics(a));
    for (const r of rs) for (const x of r.responses) assert.equal(x.reward, /[aeiou]{2}/.test(x.completion) ? 1 : 0);
    assert.ok(rs.some((r) => new Set(r.responses.map((x) => x.reward)).size > 1), 'some prompt has responses with different rewards');
    checkAdvantages(rs);
    assert.equal(readFileSync(join(b, 'rollouts.jsonl'), 'utf8'), readFileSync(join(a, 'rollouts.jsonl'), 'utf8'));
    assert.deepEqual(metrics(b).map((m) => m.loss), metrics(a).map((m) => m.loss));
    // Another seed samples other responses.
    const c = join(dir, 'regex-c');
    assert.equal((await run(file, c, ['train.seed=2'])).result.exitCode, 0);
    assert.notEqual(readFileSync(join(c, 'rollouts.jsonl'), 'utf8'), readFileSync(join(a, 'rollouts.jsonl'), 'utf8'));
  });

  it('a reward program that fails at step 2: exit 3 naming it, a checkpoint, and a resume that ends as an unbroken run', async () => {
    const marker = join(dir, 'fail-now');
    const calls = join(dir, 'calls');
    const program = join(dir, 'score.sh');
    // Reward: 1 when the response has two vowels in a row. With the marker present, the second call fails.
    writeFileSync(program, `#!/bin/sh\nn=$(cat ${calls} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${calls}\nif [ -e ${marker} ] && [ $n -ge 2 ]; then echo "scorer crashed" >&2; exit 2; fi\npython3 -c '
import json, re, sys
for line in sys.stdin:
    print(1 if re.search("[aeiou]{2}", json.loads(line)["response"]) else 0)'\n`);
    chmodSync(program, 0o755);
    const file = join(dir, 'command.sftgo');
    writeFileSync(file, `loss = seqmean(ce·advantage)\nsample { n = 3 }\nreward = command("./score.sh", timeout = 20)\n`);

    const whole = join(dir, 'command-whole');
    assert.equal((await run(file, whole)).result.exitCode, 0);

    writeFileSync(marker, '');
    writeFileSync(calls, '0');
    const broken = join(dir, 'command-broken');
    const failed = await run(file, broken);
    assert.equal(failed.result.exitCode, 3, failed.stderr);
    assert.match(failed.stderr, /step 2: reward command .*score\.sh: exited with status 2 .*prompt .*questions\.jsonl:\d+ \(index \d+\), response 0.*scorer crashed/);
    assert.deepEqual(metrics(broken).map((m) => m.step), [1]);
    assert.ok(existsSync(join(broken, 'checkpoints')));

    unlinkSync(marker);
    const resumed = await run(file, broken, [], true);
    assert.equal(resumed.result.exitCode, 0, resumed.stderr);
    assert.equal(readFileSync(join(broken, 'rollouts.jsonl'), 'utf8'), readFileSync(join(whole, 'rollouts.jsonl'), 'utf8'));
    assert.deepEqual(metrics(broken).map((m) => m.step), [1, 2, 3]);
    const lossesWhole = metrics(whole).map((m) => m.loss);
    metrics(broken).forEach((m, i) => assert.ok(Math.abs(m.loss - lossesWhole[i]!) <= 1e-5 * Math.max(1, Math.abs(lossesWhole[i]!)), `step ${m.step}: ${m.loss} vs ${lossesWhole[i]}`));
  });
});
