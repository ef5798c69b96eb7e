// The report's on-policy section on a synthetic run: the reward chart's three series from
// metrics.jsonl, the first and last step's rollouts side by side, escaped, and no section for a
// run without rewards.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rolloutsSection } from '../../src/report/rollouts.js';
import type { StepMetrics } from '../../src/train/metrics.js';

const metric = (step: number, mean: number, std: number): StepMetrics => ({
  step, epoch: 0, lr: 1e-3, params: {}, loss: 0, ce: 1, groups: {}, worst_group: null, tokens_per_s: 1, elapsed_s: step, reward_mean: mean, reward_std: std,
});

describe('report: on-policy section', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-rollouts-report-'));
    const rollout = (step: number, prompt: string, completion: string, reward: number) => JSON.stringify({
      step, prompt_index: step, prompt, responses: [{ ids: [1], completion, finish: 'eos', reward, advantage: 0.5 }, { ids: [2], completion: 'other', finish: 'length', reward: 0, advantage: -0.5 }],
    });
    writeFileSync(join(dir, 'rollouts.jsonl'), [rollout(1, 'Q1 <b>', 'first answer', 0), rollout(2, 'Q2', 'second-step answer', 1), rollout(3, 'Q3', 'last answer & more', 1)].join('\n') + '\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('draws mean and mean ± std, and shows the first and last step side by side', () => {
    const s = rolloutsSection(dir, [metric(1, 0.1, 0.05), metric(2, 0.2, 0.1), metric(3, 0.4, 0.2), metric(4, 0.5, 0.1)]);
    assert.ok(s.html !== undefined);
    for (const name of ['mean reward', 'mean + std', 'mean − std']) assert.ok(s.html.includes(name), name);
    assert.match(s.html, /<h3>Step 1<\/h3>.*first answer.*<h3>Step 3<\/h3>.*last answer &amp; more/s);
    assert.ok(!s.html.includes('second-step answer'), 'only the first and last steps');
    assert.ok(s.html.includes('Q1 &lt;b&gt;'), 'prompts are escaped');
    assert.match(s.html, /first 1 step: <b>0\.100<\/b>; over the last 1: <b>0\.500<\/b>/);
  });
  it('no rewards in the metrics: no section', () => {
    const m = metric(1, 0, 0);
    delete m.reward_mean;
    delete m.reward_std;
    assert.equal(rolloutsSection(dir, [m]).html, undefined);
  });
});
