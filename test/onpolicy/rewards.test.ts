// The in-process verifiers against the independent ones of independent-verifiers.ts on crafted
// texts (the run test compares them on sampled texts), and the reward program's failures: each is
// a message naming the program and the response, within the program's time bound.
import { strict as assert } from 'node:assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PromptRecord } from '../../src/data/prompts.js';
import { computeRewards, type RewardItem } from '../../src/onpolicy/rewards.js';
import { containsReward, exactReward, factsReward } from './independent-verifiers.js';

function prompt(index: number, answer?: string, facts?: string[]): PromptRecord {
  return { index, text: `Question ${index}?\nAnswer:`, ids: [1, 2], ...(answer === undefined ? {} : { answer }), ...(facts === undefined ? {} : { facts }), source: { file: 'q.jsonl', line: index + 1 } };
}

const RECORDS = [prompt(0, 'The Sisoth', ['Sisoth', '1,862']), prompt(1, '1862'), prompt(2, undefined, ['amber', 'Zazor Thuteidous']), prompt(3, '-40', []), prompt(4)];
const TEXTS = [
  ' It flows through the Sisoth.', ' sisoth', ' Sisothan, founded 1862', ' 1,862', ' In 1,862 the Sisoth ran dry.',
  ' amber and ZAZOR   Thuteidous!', ' −40 degrees', ' minus 40', '', ' the', ' Café amber', ' a Zazor-Thuteidous',
];

describe('on-policy rewards', () => {
  const items: RewardItem[] = RECORDS.flatMap((p) => TEXTS.map((completion, response) => ({ prompt: p, response, completion })));
  for (const [kind, independent] of [['exact', exactReward], ['contains', containsReward], ['facts', factsReward]] as const) {
    it(`${kind}() agrees with an independent implementation on ${items.length} (record, text) pairs`, async () => {
      const r = await computeRewards({ kind }, items);
      assert.ok(r.ok);
      const expected = items.map((it) => independent(it.completion, it.prompt));
      assert.deepEqual(r.rewards, expected);
      assert.ok(expected.some((x) => x > 0) && expected.some((x) => x === 0), 'the cases must hit both outcomes');
    });
  }
  it('regex() is 1 where the pattern matches anywhere in the response (RE2 syntax)', async () => {
    const r = await computeRewards({ kind: 'regex', pattern: '[0-9]{4}' }, items.slice(0, TEXTS.length));
    assert.ok(r.ok);
    assert.deepEqual(r.rewards, TEXTS.map((t) => (/[0-9]{4}/.test(t) ? 1 : 0)));
  });

  describe('command("PATH")', function () {
    this.timeout(20000);
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'sftgoc-reward-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const script = (name: string, body: string) => {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    };
    const two = items.slice(0, 2);
    const run = (path: string, timeoutMs = 5000) => computeRewards({ kind: 'command', path, timeoutMs }, two);

    it('reads JSONL {prompt, response, record} and returns one number a line', async () => {
      // The reward is the response's length in characters, computed by the program from its input.
      const path = script('len.sh', `python3 -c '
import json, sys
for line in sys.stdin:
    r = json.loads(line)
    assert set(r) == {"prompt", "response", "record"} and r["record"]["index"] == 0
    print(len(r["response"]))'`);
      const r = await run(path);
      assert.ok(r.ok, r.ok ? '' : r.message);
      assert.deepEqual(r.rewards, two.map((it) => it.completion.length));
    });
    it('a hang is killed at the timeout, with the process group, and named', async () => {
      const path = script('hang.sh', 'sleep 30 & sleep 30');
      const t0 = Date.now();
      const r = await run(path, 700);
      const took = Date.now() - t0;
      assert.ok(!r.ok);
      assert.match(r.message, /reward command .*hang\.sh: no answer within its timeout of 0\.7 s .*prompt q\.jsonl:1 \(index 0\), response 0/);
      assert.ok(took < 5000, `took ${took} ms`);
    });
    it('a non-zero exit names the status and the end of stderr', async () => {
      const r = await run(script('fail.sh', 'cat > /dev/null; echo "model file missing" >&2; exit 4'));
      assert.ok(!r.ok);
      assert.match(r.message, /exited with status 4 .*model file missing/);
    });
    it('a line that is not a number names the line and the response', async () => {
      const r = await run(script('nan.sh', 'cat > /dev/null; echo 1; echo abc'));
      assert.ok(!r.ok);
      assert.match(r.message, /line 2 of its output is not a number \("abc"\), for prompt q\.jsonl:1 \(index 0\), response 1/);
    });
    it('NaN and Infinity are not numbers either', async () => {
      const r = await run(script('inf.sh', 'cat > /dev/null; echo 0.5; echo Infinity'));
      assert.ok(!r.ok);
      assert.match(r.message, /line 2 .*not a number/);
    });
    it('the wrong count of lines is an error naming the first response without a number', async () => {
      const r = await run(script('short.sh', 'cat > /dev/null; echo 1'));
      assert.ok(!r.ok);
      assert.match(r.message, /printed 1 line for 2 responses .*response 1/);
    });
    it('output beyond its bound is cut off', async () => {
      const r = await run(script('flood.sh', 'cat > /dev/null; yes 1'));
      assert.ok(!r.ok);
      assert.match(r.message, /wrote more than \d+ bytes/);
    });
    it('never runs through a shell: the path is the program, not a command line', async () => {
      const r = await run(`${script('ok.sh', 'cat > /dev/null; echo 1; echo 0')}; touch ${join(dir, 'pwned')}`);
      assert.ok(!r.ok);
      assert.match(r.message, /cannot start it/);
    });
  });
});
