// What the trainer tells a person while it runs. The trainer calls a Reporter; the command picks one:
// a cli-progress bar on a terminal, one line a step otherwise, or nothing but warnings (--quiet).
import cliProgress from 'cli-progress';
import type { EvalMetrics, StepMetrics } from './metrics.js';

export interface Reporter {
  start(totalSteps: number, startStep: number): void;
  step(m: StepMetrics): void;
  eval(e: EvalMetrics): void;
  /** A notice such as "saved checkpoint ..." or "interrupted". */
  note(text: string): void;
  stop(): void;
}

export const silentReporter: Reporter = { start() {}, step() {}, eval() {}, note() {}, stop() {} };

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(4) : String(x);
}

function worst(m: { worst_group: string | null; groups: Record<string, { loss: number }> }): string {
  return m.worst_group === null ? '-' : `${m.worst_group} ${fmt(m.groups[m.worst_group]!.loss)}`;
}

/** On-policy steps: the mean reward of the step's responses and its spread; '' for training on fixed data. */
function reward(m: { reward_mean?: number; reward_std?: number }): string {
  return m.reward_mean === undefined ? '' : ` reward ${m.reward_mean.toFixed(3)}±${(m.reward_std ?? 0).toFixed(3)}`;
}

export function evalLine(e: EvalMetrics): string {
  const groups = Object.entries(e.groups).map(([n, g]) => ` ${n}=${fmt(g.loss)} (${g.tokens} tok)`).join('');
  return `eval step ${e.step}: ce ${fmt(e.ce)} ppl ${e.perplexity.toFixed(2)} loss ${fmt(e.loss)}${groups}`;
}

/** One line a step, for logs and pipes. */
export function lineReporter(write: (line: string) => void): Reporter {
  let total = 0;
  let first = 0;
  let startedAt = 0;
  // Time left from this session's pace (a resumed run's earlier steps ran at another time).
  const eta = (step: number) => {
    const done = step - first;
    if (done <= 0) return '';
    const seconds = ((performance.now() - startedAt) / 1000 / done) * (total - step);
    return ` eta ${seconds >= 90 ? `${Math.round(seconds / 60)}m` : `${Math.round(seconds)}s`}`;
  };
  return {
    start(totalSteps, startStep) {
      total = totalSteps;
      first = startStep;
      startedAt = performance.now();
      write(startStep > 0 ? `resuming at step ${startStep} of ${totalSteps}` : `training for ${totalSteps} steps`);
    },
    step(m) {
      write(
        `step ${m.step}/${total} epoch ${m.epoch.toFixed(2)} loss ${fmt(m.loss)} ce ${fmt(m.ce)}${reward(m)} worst ${worst(m)} lr ${m.lr.toExponential(2)} ${Math.round(m.tokens_per_s)} tok/s ${m.elapsed_s.toFixed(1)}s${eta(m.step)}`,
      );
    },
    eval: (e) => write(evalLine(e)),
    note: (text) => write(text),
    stop() {},
  };
}

/** A progress bar with steps, loss, worst group, tokens/s and time left; notes print above it. */
export function barReporter(stream: NodeJS.WriteStream): Reporter {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'step {value}/{total} [{bar}] loss {loss}{reward} worst {worst} {tps} tok/s eta {eta_formatted}',
      etaBuffer: 20,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const above = (text: string) => {
    // Clear the bar's line, print, and let the next update redraw the bar below.
    if (started) stream.write('\r\x1b[K');
    stream.write(`${text}\n`);
  };
  return {
    start(totalSteps, startStep) {
      bar.start(totalSteps, startStep, { loss: '-', reward: '', worst: '-', tps: '-' });
      started = true;
    },
    step(m) {
      bar.update(m.step, { loss: fmt(m.loss), reward: reward(m), worst: worst(m), tps: String(Math.round(m.tokens_per_s)) });
    },
    eval: (e) => above(evalLine(e)),
    note: (text) => above(text),
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
