// `sftgoc run FILE`: compile, resolve the settings, pick the backend, load tokenizer, model and
// data, create (or resume) the run directory, train, and map the outcome to CLI.md's exit codes.
// Everything a user got wrong comes back as text naming the file, key or flag; nothing is thrown.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderAll, sourceLookup } from '../cli/diagnostics-output.js';
import { ExitCode } from '../cli/exit-codes.js';
import type { Output } from '../cli/output.js';
import type { ParamOverride, SetOverride } from '../cli/overrides.js';
import { packageRoot } from '../check/host.js';
import { compileFile } from '../compile.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { printExpr } from '../ir/print.js';
import { saveModel } from '../model/index.js';
import { latestCheckpoint } from '../train/checkpoint.js';
import { resolveRunConfig, runConfigToJson, type RunConfig } from '../train/config.js';
import { barReporter, lineReporter, type Reporter } from '../train/reporter.js';
import { RunDirectory } from '../train/run-dir.js';
import { ResumeError, TrainInputError, train, type TrainOutcome } from '../train/trainer.js';
import { loadRunInputs } from './inputs.js';
import { stepObjectiveFor } from './objective-bridge.js';
import { objectiveRecord } from './source-record.js';
import { compileOverrides } from '../cli/compiler-bridge.js';

export interface RunFileOptions {
  params: readonly ParamOverride[];
  settings: readonly SetOverride[];
  /** --backend, which wins over train.backend. */
  backend?: string;
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

export async function runFile(file: string, options: RunFileOptions, out: Output): Promise<RunFileResult> {
  const human = (text: string) => (options.json ? out.stderr(text) : out.stdout(text));
  const fail = (exitCode: number, lines: string[]): RunFileResult => {
    for (const l of lines) out.stderr(l.startsWith('error') ? l : `error: ${l}`);
    if (options.json) out.stdout(JSON.stringify({ ok: false, exit_code: exitCode, errors: lines }, null, 2));
    return { exitCode };
  };

  // 1. Compile, with --param values (expressions, checked like source) and --set settings (validated
  // against the settings schemas with did-you-mean, like entries written in the file).
  if (!existsSync(file)) return fail(ExitCode.Usage, [`cannot read ${file}: no such file`]);
  const compiled = compileFile(file, compileOverrides({ params: options.params, settings: options.settings }));
  const rendered = renderAll(compiled.diagnostics, sourceLookup(new Map(Object.entries(compiled.sources))), options.quiet);
  if (rendered !== '') out.stderr(rendered);
  if (hasErrors(compiled.diagnostics) || compiled.objective === undefined) {
    if (options.json) out.stdout(JSON.stringify({ ok: false, exit_code: ExitCode.InputError, diagnostics: compiled.diagnostics }, null, 2));
    return { exitCode: ExitCode.InputError };
  }
  const ir = compiled.objective;

  // 2. Settings: the file's blocks with --set already applied by compile, then --resume.
  const settings: SetOverride[] = [];
  if (options.resume !== undefined) settings.push({ block: 'train', key: 'out', text: JSON.stringify(resolve(options.resume)), flag: `--resume ${options.resume}` });
  const { config, errors } = resolveRunConfig(ir.settings, { objectiveName: ir.name, sourceFile: file, origins: ir.settingSpans, overrides: settings, packageRoot });
  if (errors.length > 0) return fail(ExitCode.InputError, errors.map((e) => `${file}: ${e}`));
  const backendRequest = options.backend ?? config.train.backend;
  config.train.backend = backendRequest;
  const runDir = new RunDirectory(config.train.out);

  let resumeFrom: string | undefined;
  if (options.resume !== undefined) {
    const latest = await latestCheckpoint(runDir.path);
    if (latest === undefined) return fail(ExitCode.InputError, [`${runDir.path}: no checkpoint to resume from (checkpoints/step-N/state.json)`]);
    resumeFrom = latest.dir;
  } else if (existsSync(runDir.metricsFile)) {
    return fail(ExitCode.InputError, [`${runDir.path} already holds a run; continue it with --resume ${runDir.path}, or set train.out to a new directory`]);
  }

  // 3. Backend, then tokenizer, model and data.
  const { initBackend, isBackendRequest, BackendLoadError, backendChoices } = await import('../backend/index.js');
  if (!isBackendRequest(backendRequest)) return fail(ExitCode.Usage, [`--backend ${backendRequest}: expected ${backendChoices()}`]);
  let backend;
  try {
    backend = await initBackend(backendRequest);
  } catch (e) {
    if (e instanceof BackendLoadError) return fail(ExitCode.InputError, [e.message]);
    throw e;
  }
  // One short line for people; every note (what was skipped and why, kernel fixes) goes to config.json.
  if (!options.quiet) human(`backend: ${backend.name}${backendRequest === 'auto' ? ' (auto)' : ''}; details in config.json`);
  const loaded = await loadRunInputs(config, { skipBadRecords: options.skipBadRecords });
  if (!loaded.ok) return fail(ExitCode.InputError, loaded.errors);
  const inputs = loaded.inputs;
  // The objective lowered onto the trainer (src/lower/), its static scores and reference ce
  // precomputed by the groupers (cached in the run directory); problems are bad input (exit 1).
  const bridged = stepObjectiveFor(ir, { tokenizer: inputs.tokenizer, referenceDir: config.reference?.path, log: human });
  if (!bridged.ok) return fail(ExitCode.InputError, [bridged.message]);
  const scoreProblems = await bridged.objective.prepareScores({ train: inputs.train, eval: inputs.eval, cacheDir: runDir.cacheDir });
  if (scoreProblems.length > 0) return fail(ExitCode.InputError, scoreProblems);
  if (!options.quiet) {
    const skipped = inputs.stats.train.skipped + (inputs.stats.eval?.skipped ?? 0);
    human(
      `${ir.name}: ${inputs.train.length} training samples, ${inputs.eval.length} eval samples` +
        `${skipped > 0 ? `, ${skipped} bad records skipped` : ''}; model ${config.model.path ?? `preset ${config.model.preset}`}; run directory ${runDir.path}`,
    );
  }

  // 4. The run directory's description (kept as first written when resuming).
  if (resumeFrom === undefined) {
    const paramValues = Object.fromEntries(ir.params.map((p) => [p.name, printExpr(p.value)]));
    await runDir.create(
      { ...runConfigToJson(config), params: paramValues, backend: { name: backend.name, notes: backend.notes }, data_stats: inputs.stats, sftgoc: packageVersion() },
      objectiveRecord(file, compiled.sources),
    );
  }

  // 5. Train, stopping cleanly on the first Ctrl-C; a second one exits at once.
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(ExitCode.Interrupted);
    interrupted = true;
    out.stderr('\ninterrupt: finishing this step and saving a checkpoint (Ctrl-C again to quit without saving)');
  };
  if (options.shouldStop === undefined) process.on('SIGINT', onSigint);
  const reporter: Reporter = options.quiet
    ? { ...lineReporter(() => undefined), note: (t) => out.stderr(t) }
    : options.tty
      ? barReporter(options.json ? process.stderr : process.stdout)
      : lineReporter(human);
  let outcome: TrainOutcome;
  try {
    outcome = await train({
      model: inputs.model, objective: bridged.objective, train: inputs.train, eval: inputs.eval, padId: inputs.tokenizer.padId,
      settings: config.train, runDir, tokenizerFiles: inputs.tokenizerFiles, reporter, resumeFrom,
      // The tokenizer's special ids go into config.json, so transformers' generate() knows them.
      saveModel: (model, dir) => saveModel(model, dir, { tokenIds: { bos: inputs.tokenizer.bosId, eos: inputs.tokenizer.eosId, pad: inputs.tokenizer.padId } }),
      shouldStop: options.shouldStop ?? (() => interrupted),
    });
  } catch (e) {
    if (e instanceof ResumeError || e instanceof TrainInputError) return fail(ExitCode.InputError, [e.message]);
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
    inputs.model.dispose();
  }

  const exitCode = outcome.status === 'completed' ? ExitCode.Success : outcome.status === 'interrupted' ? ExitCode.Interrupted : ExitCode.TrainingFailed;
  const last = outcome.evals.at(-1);
  if (outcome.status === 'diverged') out.stderr(`error: training failed: ${outcome.message}${outcome.lastCheckpoint ? `; last good state saved in ${outcome.lastCheckpoint}` : ''}`);
  if (!options.quiet && outcome.status === 'completed') {
    human(`done: ${outcome.step} steps; final model in ${outcome.finalDir}${last ? `; held-out ce ${last.ce.toFixed(4)} (perplexity ${last.perplexity.toFixed(2)})` : ''}`);
  }
  if (options.json) {
    out.stdout(JSON.stringify({
      ok: exitCode === ExitCode.Success, exit_code: exitCode, status: outcome.status, run_dir: runDir.path, steps: outcome.step,
      total_steps: outcome.totalSteps, final_dir: outcome.finalDir ?? null, last_checkpoint: outcome.lastCheckpoint ?? null,
      eval: last ?? null, message: outcome.message ?? null,
    }, null, 2));
  }
  return { exitCode, runDir: runDir.path, outcome, config };
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
