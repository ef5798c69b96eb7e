// `sftgoc run FILE`: the command line's request as typed data, the pipeline (src/pipeline.ts), and
// its result printed: diagnostics, progress, the final line or JSON document, CLI.md's exit code.
// Everything a user got wrong comes back as text naming the file, key or flag; nothing is thrown.
import { renderCompileDiagnostics } from '../diagnostics/output.js';
import { ExitCode, exitCodeOf, fail as failWith } from './output.js';
import type { Output } from '../cli/output.js';
import type { ParamOverride, SetOverride } from '../cli/overrides.js';
import { compileOverrides } from '../cli/compiler-bridge.js';
import type { EngineName, EngineOptions } from '../engine/types.js';
import { runPipeline, type RunRequestAsTyped, type RunResult } from '../pipeline.js';
import type { RunConfig } from '../train/config.js';
import type { DatasetStats } from '../data/types.js';
import { barReporter, lineReporter, type Reporter } from '../train/reporter.js';
import { ResumeError, TrainInputError, type TrainOutcome } from '../train/trainer.js';
import { asDiskError, DiskWriteError } from '../util/disk-error.js';
import { resumeCommand } from '../train/run-dir.js';

export interface RunFileOptions {
  params: readonly ParamOverride[];
  settings: readonly SetOverride[];
  /** --backend, which wins over train.backend. */
  backend?: string;
  /** --engine (default tfjs). */
  engine?: EngineName;
  /** --python, --nproc, --device (the torch engine). */
  engineOptions?: EngineOptions;
  /** --resume RUN_DIR. */
  resume?: string;
  skipBadRecords: boolean;
  quiet: boolean;
  json: boolean;
  /** Progress bar when the human stream is a terminal; tests pass false. */
  tty?: boolean;
  /** Replaces the SIGINT handling (tests ask to stop after N steps). */
  shouldStop?: (step: number) => boolean;
}

export interface RunFileResult {
  exitCode: number;
  runDir?: string;
  outcome?: TrainOutcome;
  config?: RunConfig;
}

/** `file` may be left out with --resume: the run directory recorded it. */
export async function runFile(file: string | undefined, options: RunFileOptions, out: Output): Promise<RunFileResult> {
  const human = (text: string) => (options.json ? out.stderr(text) : out.stdout(text));
  const reply = { out, json: options.json, quiet: options.quiet };
  const fail = (exitCode: number, lines: string[]): RunFileResult => ({ exitCode: failWith(reply, exitCode, lines) });

  // Stop cleanly on the first Ctrl-C or SIGTERM (what SLURM, Kubernetes and spot preemption send):
  // finish the step, save a checkpoint, exit 130 or 143. A second signal exits at once.
  let interrupted: NodeJS.Signals | undefined;
  const signalExit = (signal: NodeJS.Signals) => (signal === 'SIGTERM' ? ExitCode.Terminated : ExitCode.Interrupted);
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted !== undefined) process.exit(signalExit(signal));
    interrupted = signal;
    out.stderr(`\n${signal === 'SIGTERM' ? 'terminated' : 'interrupt'}: finishing this step and saving a checkpoint (a second ${signal} quits without saving)`);
  };
  const reporter: Reporter = options.quiet
    ? { ...lineReporter(() => undefined), note: (t) => out.stderr(t) }
    : options.tty
      ? barReporter(options.json ? process.stderr : process.stdout)
      : lineReporter(human);
  const request: RunRequestAsTyped = {
    file, compile: compileOverrides({ params: options.params, settings: options.settings }),
    resume: options.resume, backend: options.backend, engine: options.engine, engineOptions: options.engineOptions, skipBadRecords: options.skipBadRecords,
  };
  if (options.shouldStop === undefined) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  let result: RunResult;
  let runDirPath: string | undefined;
  try {
    result = await runPipeline(request, {
      reporter, log: human, shouldStop: options.shouldStop ?? (() => interrupted !== undefined),
      onCompiled: (compiled) => {
        const rendered = renderCompileDiagnostics(compiled, options.quiet);
        if (rendered !== '') out.stderr(rendered);
      },
      // One short line for people; every note (what was skipped and why, kernel fixes) goes to config.json.
      onBackend: (backend) => {
        if (options.quiet) return;
        human(`backend: ${backend.name}${backend.requested === 'auto' ? ' (auto)' : ''}; details in config.json`);
        // What config.json records but a user must not miss (a BLAS kernel set that was asked for and not run).
        for (const n of backend.notes.filter((note) => note.startsWith('warning: '))) out.stderr(n);
      },
      onInputs: ({ objective, config, runDir }, inputs) => {
        runDirPath = runDir.path;
        // No held-out data means no eval.jsonl and no held-out curve: say so, not just "0 eval samples".
        if (inputs.eval.length === 0) {
          out.stderr(`warning: ${config.data.eval === undefined ? 'no data.eval is set' : `${config.data.eval} gave no eval samples`}: this run reports no held-out loss; set data.eval (e.g. --set data.eval=FILE)${inputs.prompts === undefined ? '' : ', and use `eval --generate` for answer accuracy'}`);
        }
        if (options.quiet) return;
        const skipped = inputs.stats.train.skipped + (inputs.stats.eval?.skipped ?? 0);
        const trainWhat = inputs.prompts === undefined ? `${inputs.train.length} training samples` : `${inputs.prompts.length} prompts (on-policy: responses sampled each step)`;
        human(
          `${objective.name}: ${trainWhat}, ${inputs.eval.length} eval samples` +
            `${skipped > 0 ? `, ${skipped} bad records skipped` : ''}; model ${config.model.path ?? `preset ${config.model.preset}`}; run directory ${runDir.path}`,
        );
        const cut = truncationLine(inputs.stats, config.data.maxLen);
        if (cut !== undefined) human(cut);
      },
    });
  } catch (e) {
    if (e instanceof ResumeError || e instanceof TrainInputError) return fail(ExitCode.InputError, [e.message]);
    // A full or read-only disk: the user's environment. Every save is atomic, so the run can go on.
    const disk = asDiskError(e, options.resume ?? runDirPath ?? file ?? '.');
    if (disk instanceof DiskWriteError) {
      const dir = options.resume ?? runDirPath;
      // Only a full disk is cured by freeing space; permissions and read-only mounts are named as they are.
      const cure = disk.code === 'ENOSPC' || disk.code === 'EDQUOT' ? 'free some space' : 'make it writable';
      return fail(ExitCode.InputError, [disk.message, dir === undefined ? `${cure}, then run again` : `${cure}, then continue with: ${resumeCommand(dir)}`]);
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (!result.ok) {
    if (result.kind !== 'diagnostics') return fail(exitCodeOf(result.kind), result.messages);
    const { compiled } = result;
    const rendered = renderCompileDiagnostics(compiled, options.quiet);
    if (rendered !== '') out.stderr(rendered);
    if (options.json) out.stdout(JSON.stringify({ ok: false, exit_code: ExitCode.InputError, diagnostics: compiled.diagnostics }, null, 2));
    return { exitCode: ExitCode.InputError };
  }
  const { outcome, plan } = result;
  const exitCode = outcome.status === 'completed' ? ExitCode.Success : outcome.status === 'interrupted' ? signalExit(interrupted ?? 'SIGINT') : outcome.status === 'rejected' ? ExitCode.InputError : ExitCode.TrainingFailed;
  const last = outcome.evals.at(-1);
  if (outcome.status === 'diverged') out.stderr(`error: training failed: ${outcome.message}${outcome.lastCheckpoint ? `; last good state saved in ${outcome.lastCheckpoint}` : ''}`);
  const resumable = outcome.lastCheckpoint ? `; last good state saved in ${outcome.lastCheckpoint}; continue with: ${resumeCommand(plan.runDir.path)}` : `; continue with: ${resumeCommand(plan.runDir.path)}`;
  if (outcome.status === 'failed') out.stderr(`error: a worker failed: ${outcome.message}${resumable}`);
  if (outcome.status === 'rejected') out.stderr(`error: ${outcome.message}`);
  if (!options.quiet && outcome.status === 'completed') {
    human(`done: ${outcome.step} steps; final model in ${outcome.finalDir}${last ? `; held-out ce ${last.ce.toFixed(4)} (perplexity ${last.perplexity.toFixed(2)})` : ''}`);
  }
  if (options.json) {
    out.stdout(JSON.stringify({
      ok: exitCode === ExitCode.Success, exit_code: exitCode, status: outcome.status, run_dir: plan.runDir.path, steps: outcome.step,
      total_steps: outcome.totalSteps, final_dir: outcome.finalDir ?? null, last_checkpoint: outcome.lastCheckpoint ?? null,
      eval: last ?? null, message: outcome.message ?? null,
    }, null, 2));
  }
  return { exitCode, runDir: plan.runDir.path, outcome, config: plan.config };
}

/**
 * What max_len cut, said at the start (config.json's data_stats keeps the numbers): samples
 * truncated, and those dropped because their whole response lay past the cut. Undefined: nothing cut.
 */
export function truncationLine(stats: { train: DatasetStats; eval?: DatasetStats }, maxLen: number): string | undefined {
  const truncated = stats.train.truncated + (stats.eval?.truncated ?? 0);
  const dropped = stats.train.dropped + (stats.eval?.dropped ?? 0);
  if (truncated === 0) return undefined;
  const parts = [`data: ${truncated} sample${truncated === 1 ? '' : 's'} cut at data.max_len = ${maxLen}`];
  if (dropped > 0) parts.push(`${dropped} of them dropped (their whole response was past the cut; raise data.max_len to keep them)`);
  return parts.join(', ');
}
