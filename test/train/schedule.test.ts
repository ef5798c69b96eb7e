import assert from 'node:assert/strict';
import { formatLrSchedule, learningRate, lrFactor, parseLrSchedule, warmupSteps } from '../../src/train/schedule.js';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);

describe('learning-rate schedules', () => {
  it('warms up linearly from 0 over ceil(P·S) steps, as transformers does', () => {
    const s = { kind: 'cosine' as const, warmup: 0.07 };
    assert.equal(warmupSteps(s, 100), 7);
    assert.equal(warmupSteps(s, 10), 1); // ceil(0.7)
    close(lrFactor(s, 0, 100), 0);
    close(lrFactor(s, 3, 100), 3 / 7);
    close(lrFactor(s, 7, 100), 1);
  });

  it('cosine decays to half at the midpoint of the decay and to 0 at the end', () => {
    const s = { kind: 'cosine' as const, warmup: 0.1 };
    close(lrFactor(s, 10, 100), 1);
    close(lrFactor(s, 55, 100), 0.5);
    close(lrFactor(s, 100, 100), 0);
    close(learningRate(3e-4, s, 55, 100), 1.5e-4);
  });

  it('linear decays to 0 at S; constant stays at 1 after warm-up', () => {
    close(lrFactor({ kind: 'linear', warmup: 0 }, 0, 10), 1);
    close(lrFactor({ kind: 'linear', warmup: 0 }, 5, 10), 0.5);
    close(lrFactor({ kind: 'linear', warmup: 0.2 }, 6, 10), 0.5);
    close(lrFactor({ kind: 'constant', warmup: 0 }, 9, 10), 1);
    close(lrFactor({ kind: 'constant', warmup: 0.5 }, 2, 10), 0.4);
  });

  it('parses and formats the text forms, rejecting others with a message', () => {
    assert.deepEqual(parseLrSchedule('cosine(warmup = 7%)'), { kind: 'cosine', warmup: 0.07 });
    assert.deepEqual(parseLrSchedule('linear(warmup=0.1)'), { kind: 'linear', warmup: 0.1 });
    assert.deepEqual(parseLrSchedule('constant'), { kind: 'constant', warmup: 0 });
    assert.equal(formatLrSchedule({ kind: 'cosine', warmup: 0.07 }), 'cosine(warmup = 7%)');
    assert.match(parseLrSchedule('exp(warmup = 1%)') as string, /not a learning-rate schedule/);
    assert.match(parseLrSchedule('cosine(warmup = 150%)') as string, /\[0%, 100%\]/);
  });
});
