// The step line people read: an on-policy step shows its mean reward and spread, a step on fixed
// data does not (its metrics carry no reward).
import { strict as assert } from 'node:assert';
import type { StepMetrics } from '../../src/train/metrics.js';
import { lineReporter } from '../../src/train/reporter.js';

const base: StepMetrics = {
  step: 3, epoch: 0.5, lr: 1e-4, params: {}, loss: 0.25, ce: 1.5, groups: {}, worst_group: null, tokens_per_s: 1000, elapsed_s: 2,
};

function lineOf(m: StepMetrics): string {
  const lines: string[] = [];
  const r = lineReporter((l) => lines.push(l));
  r.start(10, 0);
  r.step(m);
  return lines[1]!;
}

describe('train: the step line', () => {
  it('shows the mean reward ± its std on an on-policy step', () => {
    assert.match(lineOf({ ...base, reward_mean: 0.0125, reward_std: 0.05 }), / ce 1\.5000 reward 0\.013±0\.050 worst - /);
  });

  it('shows no reward on a step of fixed data', () => {
    assert.doesNotMatch(lineOf(base), /reward/);
  });
});
