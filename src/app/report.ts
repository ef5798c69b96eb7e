// `sftgoc report RUN_DIR`: reads the run directory, draws its curves and token heat-map, and writes
// RUN_DIR/report.html atomically. A missing or damaged run directory is bad input (exit 1).
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { ExitCode } from '../cli/exit-codes.js';
import type { Output } from '../cli/output.js';
import { answersSection } from '../report/answers.js';
import { heatmapSection } from './report-heatmap.js';
import { renderReport } from '../report/page.js';
import { readRun } from '../report/read-run.js';
import { rolloutsSection } from '../report/rollouts.js';

export interface ReportOptions {
  /** Samples in the heat-map. */
  samples: number;
  quiet: boolean;
  json: boolean;
}

export async function runReport(runDir: string, options: ReportOptions, out: Output): Promise<number> {
  const read = readRun(runDir);
  if (!read.ok) {
    for (const e of read.errors) out.stderr(`error: ${e}`);
    if (options.json) out.stdout(JSON.stringify({ ok: false, exit_code: ExitCode.InputError, errors: read.errors }, null, 2));
    return ExitCode.InputError;
  }
  const rollouts = rolloutsSection(runDir, read.run.metrics);
  // An on-policy run's training samples are its rollouts (shown above), not data.train's records.
  const heatmap = rollouts.html !== undefined
    ? { css: '', note: 'on-policy run: its training samples were sampled each step; the rollouts above show some, rollouts.jsonl has all' }
    : await heatmapSection(runDir, read.run.config, options.samples);
  const answers = answersSection(runDir);
  const html = renderReport(runDir, read.run, heatmap, answers, rollouts);
  const path = join(runDir, 'report.html');
  try {
    await writeFileAtomic(path, html);
  } catch (e) {
    out.stderr(`error: cannot write ${path}: ${(e as Error).message}`);
    return ExitCode.InputError;
  }
  const human = (t: string) => (options.json ? out.stderr(t) : out.stdout(t));
  if (!options.quiet) {
    if (heatmap.html === undefined && heatmap.note !== undefined && rollouts.html === undefined) out.stderr(`note: ${heatmap.note}`);
    human(`wrote ${path}`);
  }
  if (options.json) out.stdout(JSON.stringify({ ok: true, report: path, steps: read.run.metrics.length, evals: read.run.evals.length, heatmap: heatmap.html !== undefined }, null, 2));
  return ExitCode.Success;
}
