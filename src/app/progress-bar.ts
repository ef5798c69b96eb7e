// A progress bar on stderr for long generation requests (`generate`, `eval --generate`): started at
// the first report, so a request that fails before decoding draws nothing.
import cliProgress from 'cli-progress';
import type { DecodeProgress } from '../generate/types.js';

export interface ProgressBar {
  progress: DecodeProgress;
  stop(): void;
}

/** `what` names the units ("completions", "questions"); off (no output at all) when `on` is false. */
export function decodeProgressBar(verb: string, what: string, on: boolean): ProgressBar {
  if (!on) return { progress: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${verb} [{bar}] {value}/{total} ${what} eta {eta_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    progress: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}
