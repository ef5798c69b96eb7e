// The whole way from a .sftgo file to a trained model, one call per stage:
//
//   load → parse → check → IR        compileFile (src/compile.ts; src/check/load.ts, parse/, check/, ir/)
//   IR → analysis                    analyze (src/analysis/): what the objective needs
//   settings                         resolveRunConfig (src/train/config.ts), the run directory
//   backend, tokenizer, data         initBackend (src/backend/), loadRunInputs (src/run/inputs.ts)
//   precompute                       prepareNeeds (src/groupers/): static scores, reference ce, thresholds
//   engine plan                      engine.prepare (src/engine/): lower, load the model
//   train                            run.train(): updates, evaluations, checkpoints, final/
//
// Each stage returns its problems as data; the first stage that fails ends the pipeline and the
// application layer (src/app/) renders the failure and picks the exit code. Printing is the
// caller's: the pipeline reports progress through `io`.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { analyze, type Analysis } from './analysis/index.js';
import { compileFile, type CompileOptions, type CompileResult } from './compile.js';
import type { DatasetStats } from './data/types.js';
import { hasErrors } from './diagnostics/diagnostic.js';
import { loadEngine } from './engine/index.js';
import type { EngineName, EngineOptions, EngineRecord, PreparedRun } from './engine/types.js';
import { prepareNeeds, type ScoreStore } from './groupers/index.js';
import type { Objective } from './ir/nodes.js';
import { resumePoint } from './train/checkpoint.js';
import { memoryLimit, stepMemoryProblem } from './train/memory.js';
import { readModelConfig } from './model/config.js';
import { presetConfig } from './model/presets.js';
import type { ModelConfig } from './model/types.js';
import { DEFAULT_HEAD_CHUNK } from './head/chunk-size.js';
import { resolveRunConfig, runConfigToJson, type RunConfig } from './train/config.js';
import { writeFileAtomic } from './util/atomic.js';
import { outputDirProblem } from './train/output-dir.js';
import { checkClaim, claimRunDirectory, releaseUnusedClaim } from './train/run-claim.js';
import { compareWithRecord, completeRequest, readRecordedRun, type RecordedRun } from './run/resume.js';
import type { Reporter } from './train/reporter.js';
import { RunDirectory } from './train/run-dir.js';
import { lockRunDirectory, type RunLock } from './train/run-lock.js';
import { loadRunInputs, type RunInputs } from './run/inputs.js';
import { objectiveRecord } from './run/source-record.js';
import { packageRoot, packageVersion } from './util/package-root.js';
import { printExpr } from './ir/print.js';
import { referenceCacheRoot, referenceKey } from './run/reference.js';
import { renderCompileDiagnostics } from './diagnostics/output.js';
import { silentReporter } from './train/reporter.js';
import type { TrainOutcome } from './engine/types.js';
import { startBackend, type Backend } from './backend/start.js';

/** Why the pipeline stopped: compiler diagnostics (rendered with their sources), or messages. */
export type PipelineFailure =
  | { kind: 'diagnostics'; compiled: CompileResult }
  | { kind: 'usage' | 'input'; messages: string[] };

export type Staged<T> = ({ ok: true } & T) | ({ ok: false } & PipelineFailure);

/** What a run was asked to do, as typed data (the command line's flags parsed). */
export interface RunRequest {
  file: string;
  /** --param and --set, already in the compiler's form (each carries its flag for diagnostics). */
  compile: Pick<CompileOptions, 'overrides'>;
  /** --resume RUN_DIR: continue the run in that directory from its latest checkpoint. */
  resume?: string;
  /** --backend, which wins over train.backend. */
  backend?: string;
  /** --engine, which wins over train.engine. */
  engine?: EngineName;
  /** --python, --nproc, --device (the torch engine); --nproc and --device win over train.nproc and train.device. */
  engineOptions?: EngineOptions;
  skipBadRecords: boolean;
}

export interface PipelineHooks extends EngineIo {
  /** After a successful compile (its warnings are printed before anything runs). */
  onCompiled?(compiled: CompileResult): void;
  /** After the backend started (the command prints one line about it). */
  onBackend?(backend: Backend): void;
  /** After data and scores are loaded, before the engine starts. */
  onInputs?(plan: RunPlan, inputs: RunInputs): void;
}

export type RunResult = Staged<{ plan: RunPlan; outcome: TrainOutcome }>;

/** A request as typed: with --resume, FILE may be left out (the run directory recorded it). */
export type RunRequestAsTyped = Omit<RunRequest, 'file'> & { file?: string };

/** `sftgoc run`: the whole pipeline, each line a stage. */
export async function runPipeline(typed: RunRequestAsTyped, hooks: PipelineHooks): Promise<RunResult> {
  const resumed = resumeRequest(typed);                                     // --resume: the request completed from the record
  if (!resumed.ok) return resumed;
  const { request, recorded } = resumed;
  const compiled = compileObjective(request);                               // load → parse → check → IR → analysis
  if (!compiled.ok) return compiled;
  hooks.onCompiled?.(compiled.compiled);
  const planned = await planRun(request, compiled, hooks.log, recorded);     // settings, run directory (claimed, locked)
  if (!planned.ok) return planned;
  const { plan } = planned;
  try {
    return await trainPlanned(request, plan, hooks);
  } finally {
    await plan.lock?.release();
    // A run that failed before writing anything leaves no directory (or marker) of its own behind.
    releaseUnusedClaim(plan.runDir.path, plan.createdDir === true);
  }
}

/** Without --resume the request as it is; with it, FILE, overrides and engine from the run directory. */
function resumeRequest(typed: RunRequestAsTyped): Staged<{ request: RunRequest; recorded?: RecordedRun }> {
  if (typed.resume === undefined) {
    if (typed.file === undefined) return { ok: false, kind: 'usage', messages: ['missing FILE: sftgoc run FILE (or sftgoc run --resume RUN_DIR)'] };
    return { ok: true, request: { ...typed, file: typed.file } };
  }
  const read = readRecordedRun(typed.resume);
  if (!read.ok) return { ok: false, kind: 'input', messages: read.messages };
  const completed = completeRequest(typed, read.run);
  if (!completed.ok) return { ok: false, kind: 'input', messages: completed.messages };
  return { ok: true, request: completed.request, recorded: read.run };
}

/** Backend, inputs, engine, training: everything after the run directory is locked. */
async function trainPlanned(request: RunRequest, plan: RunPlan, hooks: PipelineHooks): Promise<RunResult> {
  const blocked = (await loadEngine(plan.engine)).preflight?.(plan.engineOptions) ?? [];    // engine can start?
  if (blocked.length > 0) return { ok: false, kind: 'input', messages: blocked };
  const backend = await startBackend(plan.config.train.backend);            // the tfjs backend of this process
  if (!backend.ok) return backend;
  hooks.onBackend?.(backend.backend);
  const loaded = await loadInputs(plan, {
    skipBadRecords: request.skipBadRecords, log: hooks.log,
    reference: { log: hooks.log, reporter: hooks.reporter, backend: request.backend, shouldStop: hooks.shouldStop },
  }); // tokenizer, data, precompute
  if (!loaded.ok) return loaded;
  hooks.onInputs?.(plan, loaded.inputs);
  const tooBig = stepMemoryCheck(request.file, plan, loaded.inputs, backend.backend.name);                // the step fits?
  if (tooBig !== undefined) return { ok: false, kind: 'input', messages: [tooBig] };
  const engine = await prepareEngine(request, plan, loaded, hooks);          // engine plan: lower, load the model
  if (!engine.ok) return engine;
  try {
    if (request.resume === undefined) await describeRun(request, plan, backend.backend, loaded.inputs, engine.run.record);
    else await recordResume(plan);
    const outcome = await engine.run.train();                               // train
    return { ok: true, plan, outcome };
  } finally {
    engine.run.dispose();
  }
}

/**
 * The estimated memory of one step against what the engine can use (src/train/memory.ts), before the
 * model is loaded: a batch that cannot fit is refused here, not by a crash mid-step. A model
 * config.json that cannot be read is left to the engine, which names its problem.
 */
function stepMemoryCheck(file: string, plan: RunPlan, inputs: RunInputs, backend: string): string | undefined {
  const { model, train } = plan.config;
  let shape: ModelConfig | undefined;
  if (model.path !== undefined) {
    try {
      shape = readModelConfig(model.path);
    } catch {
      return undefined;
    }
  } else shape = presetConfig(model.preset!, { vocabSize: inputs.tokenizer.vocabSize });
  if (shape === undefined) return undefined;
  let seqLen = 0;
  for (const s of [...inputs.train, ...inputs.eval]) seqLen = Math.max(seqLen, s.ids.length);
  const problem = stepMemoryProblem(shape, { batch: train.batch, seqLen, headChunk: DEFAULT_HEAD_CHUNK }, memoryLimit(plan.engine, plan.engine === 'tfjs' ? backend : undefined));
  return problem === undefined ? undefined : `${file}: ${problem}`;
}

/** The run directory's config.json and objective.sftgo (kept as first written when resuming). */
async function describeRun(request: RunRequest, plan: RunPlan, backend: Backend, inputs: RunInputs, engine: EngineRecord): Promise<void> {
  const { runConfigToJson } = await import('./train/config.js');
  const params = Object.fromEntries(plan.objective.params.map((p) => [p.name, printExpr(p.value)]));
  const settings = runConfigToJson(plan.config);
  await plan.runDir.create(
    {
      ...settings, train: { ...(settings.train as Record<string, unknown>), ...engine.train }, ...(engine.engine !== undefined ? { engine: engine.engine } : {}), ...referenceRecord(plan), params, backend: { name: backend.name, notes: backend.notes }, data_stats: inputs.stats, sftgoc: packageVersion(),
      // What `--resume DIR` re-applies: the command line's --param and --set as the compiler took them.
      overrides: request.compile.overrides ?? [],
    },
    objectiveRecord(request.file, plan.compiled.sources, plan.compiled.overrides),
  );
}

/** config.json's reference: as declared, with the directory it resolved to (what `eval RUN_DIR` reads). */
function referenceRecord(plan: RunPlan): { reference?: Record<string, unknown> } {
  const declared = plan.config.reference;
  if (declared === undefined) return {};
  const shown = 'self' in declared ? { path: 'self' } : { ...declared };
  return { reference: plan.referenceDir !== undefined ? { ...shown, dir: plan.referenceDir } : shown };
}

/** A resume that changes train.steps says so in config.json (the new length, and when it changed). */
async function recordResume(plan: RunPlan): Promise<void> {
  if (plan.stepsChanged === undefined) return;
  const file = join(plan.runDir.path, 'config.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown> & { train: Record<string, unknown>; overrides?: unknown[] };
  config.train.steps = plan.config.train.steps;
  config.resumes = [...(Array.isArray(config.resumes) ? config.resumes : []), { at: new Date().toISOString(), steps: plan.stepsChanged }];
  config.overrides = [...plan.compiled.overrides];
  await writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`);
}

/** A compiled, analysed objective with its resolved settings and run directory. */
export interface RunPlan {
  compiled: CompileResult;
  objective: Objective;
  analysis: Analysis;
  config: RunConfig;
  runDir: RunDirectory;
  /** The engine and its options: the flags, else the train block's engine, nproc and device. */
  engine: EngineName;
  engineOptions: EngineOptions;
  resumeFrom?: string;
  /** The reference model's directory (src/run/reference.ts), once loadInputs has resolved it. */
  referenceDir?: string;
  /** Held from planning to the end of the run: one run per directory (src/train/run-lock.ts). */
  lock?: RunLock;
  /** This run made the directory (a run that fails before writing anything removes it again). */
  createdDir?: boolean;
  /** A resume that changed train.steps: from and to. */
  stepsChanged?: { from: unknown; to: unknown };
}

/** load → parse → check → IR → analysis. Warnings come back with the objective. */
export function compileObjective(request: Pick<RunRequest, 'file' | 'compile'>): Staged<{ compiled: CompileResult; objective: Objective; analysis: Analysis }> {
  if (!existsSync(request.file)) return { ok: false, kind: 'usage', messages: [`cannot read ${request.file}: no such file`] };
  const compiled = compileFile(request.file, request.compile);
  if (hasErrors(compiled.diagnostics) || compiled.objective === undefined) return { ok: false, kind: 'diagnostics', compiled };
  const objective = compiled.objective;
  const analysis = analyze(objective);
  if (analysis.problems.length > 0) return { ok: false, kind: 'input', messages: analysis.problems };
  return { ok: true, compiled, objective, analysis };
}

/** The settings resolved (defaults, paths, --resume), compared with the run's record, and the run directory checked, claimed and locked. */
export async function planRun(
  request: RunRequest, compiled: { compiled: CompileResult; objective: Objective; analysis: Analysis }, log: (line: string) => void = () => undefined,
  recorded?: RecordedRun,
): Promise<Staged<{ plan: RunPlan }>> {
  const { objective } = compiled;
  const { config, errors } = resolveRunConfig(objective.settings, {
    objectiveName: objective.name, sourceFile: request.file, origins: objective.settingSpans, resumeDir: request.resume, packageRoot,
  });
  if (errors.length > 0) return { ok: false, kind: 'input', messages: errors.map((e) => `${request.file}: ${e}`) };
  config.train.backend = request.backend ?? config.train.backend;
  let stepsChanged: RunPlan['stepsChanged'];
  if (recorded !== undefined) {
    const params = Object.fromEntries(objective.params.map((p) => [p.name, printExpr(p.value)]));
    const record = objectiveRecord(request.file, compiled.compiled.sources, compiled.compiled.overrides);
    const compared = compareWithRecord(recorded, { file: request.file, objectiveName: objective.name, record, settings: runConfigToJson(config), params });
    if (compared.differences.length > 0) return { ok: false, kind: 'input', messages: compared.differences };
    stepsChanged = compared.steps;
  }
  const runDir = new RunDirectory(config.train.out);
  // Checked before anything is created: /proc, a file, /dev/null or a read-only mount fail here, at once.
  const label = request.resume !== undefined ? '--resume' : 'train.out';
  const unwritable = outputDirProblem(runDir.path, label);
  if (unwritable !== undefined) return { ok: false, kind: 'input', messages: [unwritable] };
  const foreign = checkClaim(runDir.path, label);
  if (foreign !== undefined) return { ok: false, kind: 'input', messages: [foreign] };
  const claim = claimRunDirectory(runDir.path);
  if (!claim.ok) return { ok: false, kind: 'input', messages: [claim.message] };
  // Locked before looking inside: a second run on a live directory is told who holds it.
  const locked = await lockRunDirectory(runDir.path, log);
  if (!locked.ok) {
    releaseUnusedClaim(runDir.path, claim.created);
    return { ok: false, kind: 'input', messages: [locked.message] };
  }
  const fail = async (message: string): Promise<Staged<{ plan: RunPlan }>> => {
    await locked.lock.release();
    releaseUnusedClaim(runDir.path, claim.created);
    return { ok: false, kind: 'input', messages: [message] };
  };
  try {
    for (const leftover of await runDir.cleanInterruptedWrites()) log(`removed ${leftover}, left by an interrupted save`);
  } catch (e) {
    return fail(`${runDir.path}: cannot clean up interrupted saves: ${(e as Error).message}`);
  }
  let resumeFrom: string | undefined;
  if (request.resume !== undefined) {
    const point = await resumePoint(runDir.path);
    if (!point.ok) return fail(point.message);
    for (const damaged of point.skipped) {
      log(`warning: checkpoint ${damaged.dir} is damaged (${damaged.problems.join('; ')}); ${point.checkpoint ? `resuming from ${point.checkpoint.dir}, the newest intact one` : 'no other checkpoint'}`);
    }
    if (point.checkpoint !== undefined) resumeFrom = point.checkpoint.dir;
    else {
      // Stopped before its first checkpoint (a full disk, a kill): the run starts again from step 0
      // with the settings it recorded; config.json and objective.sftgo stay as they are.
      log(`${runDir.path} has no checkpoint yet: starting its run again from step 0 with the settings recorded in ${join(runDir.path, 'config.json')}`);
      await runDir.truncateAfter(0);
    }
    if (stepsChanged !== undefined) log(`train.steps ${String(stepsChanged.from)} → ${String(stepsChanged.to)}: the run's new length is recorded in config.json`);
  } else if (existsSync(runDir.metricsFile)) {
    return fail(`${runDir.path} already holds a run; continue it with: sftgoc run --resume ${runDir.path}, or set train.out to a new directory`);
  }
  const t = config.train;
  const engine = request.engine ?? t.engine;
  const engineOptions: EngineOptions = { ...request.engineOptions, nproc: request.engineOptions?.nproc ?? t.nproc, device: request.engineOptions?.device ?? t.device };
  return { ok: true, plan: { ...compiled, config, runDir, engine, engineOptions, resumeFrom, lock: locked.lock, createdDir: claim.created, stepsChanged } };
}

/** Tokenizer, data, and the precomputed values the objective reads (cached in the run directory). */
export async function loadInputs(plan: RunPlan, options: { skipBadRecords: boolean; log: (line: string) => void; reference?: ReferenceIo }): Promise<Staged<{ inputs: RunInputs; scores?: ScoreStore }>> {
  // The reference first: `reference { train }` trains it (once) before this run's data is read.
  if (plan.analysis.scores.refCe) {
    const reference = await referenceModelDir(plan.config, options.reference ?? { log: options.log });
    if (!reference.ok) return { ok: false, kind: 'input', messages: reference.messages };
    plan.referenceDir = reference.dir;
  }
  const loaded = loadRunInputs(plan.config, { skipBadRecords: options.skipBadRecords, ...(plan.analysis.onPolicy === undefined ? {} : { onPolicy: plan.analysis.onPolicy }) });
  if (!loaded.ok) return { ok: false, kind: 'input', messages: loaded.errors };
  const { inputs } = loaded;
  const needs = plan.analysis.scores;
  if (needs.scorers.size === 0 && !needs.refCe && needs.corpusRanks.length === 0) return { ok: true, inputs };
  const prepared = await prepareNeeds(
    { scorers: [...needs.scorers.values()], refCe: needs.refCe, corpusRanks: needs.corpusRanks, objectiveName: plan.objective.name },
    { train: inputs.train, eval: inputs.eval },
    { tokenizer: inputs.tokenizer, cacheDir: plan.runDir.cacheDir, log: options.log, baseDir: dirname(resolve(plan.objective.file)), referenceDir: plan.referenceDir },
  );
  if (!prepared.ok) return { ok: false, kind: 'input', messages: prepared.errors };
  return { ok: true, inputs, scores: prepared.store };
}

export interface EngineIo {
  reporter: Reporter;
  log: (line: string) => void;
  shouldStop: (step: number) => boolean;
}

/** The engine with everything loaded: lowered objective, model, optimizer. */
export async function prepareEngine(
  request: RunRequest, plan: RunPlan, loaded: { inputs: RunInputs; scores?: ScoreStore }, io: EngineIo,
): Promise<Staged<{ run: PreparedRun }>> {
  const engine = await loadEngine(plan.engine);
  const { inputs } = loaded;
  const data: { train: typeof inputs.train; eval: typeof inputs.eval; stats: { train: DatasetStats; eval?: DatasetStats } } = { train: inputs.train, eval: inputs.eval, stats: inputs.stats };
  const prepared = await engine.prepare({
    objective: plan.objective, analysis: plan.analysis, config: plan.config, sourceFile: request.file, data,
    tokenizer: inputs.tokenizer, tokenizerFiles: inputs.tokenizerFiles, scores: loaded.scores, referenceDir: plan.referenceDir,
    runDir: plan.runDir, resumeFrom: plan.resumeFrom, options: plan.engineOptions, ...io,
    ...(inputs.prompts === undefined ? {} : { prompts: inputs.prompts }),
  });
  if (!prepared.ok) return { ok: false, kind: 'input', messages: prepared.problems };
  return { ok: true, run: prepared.run };
}

// The reference model directory of an objective (LANGUAGE.md §8; docs/language.md "The reference
// model"): path, "self" (model.path) or `train` (trained once into the reference cache, keyed by
// src/run/reference.ts, and reused). Here because training a reference is a run of this pipeline.
export interface ReferenceIo {
  /** One line of news: reusing, training (with where), done. */
  log(line: string): void;
  /** The training progress of a reference being trained (the calling command's reporter). */
  reporter?: Reporter;
  /** The tfjs backend to train with (--backend, else the reference file's train.backend). */
  backend?: string;
  /** Stop training the reference (Ctrl-C); a stopped reference is resumed by the next call. */
  shouldStop?: (step: number) => boolean;
}

export type ReferenceDir = { ok: true; dir: string | undefined } | { ok: false; messages: string[] };

/**
 * The directory of the reference model for `config` (undefined when it declares none), training
 * it first when `reference { train }` names an objective whose trained model is not cached yet.
 */
export async function referenceModelDir(config: Pick<RunConfig, 'reference' | 'model'>, io: ReferenceIo): Promise<ReferenceDir> {
  const ref = config.reference;
  if (ref === undefined) return { ok: true, dir: undefined };
  if ('path' in ref) return { ok: true, dir: ref.path };
  if ('self' in ref) {
    if (config.model.path === undefined) {
      return { ok: false, messages: [`reference { path = "self" } is the model being trained at its initial weights, but the model is preset ${config.model.preset} (random weights, no directory); name a model { path = "DIR" }`] };
    }
    return { ok: true, dir: config.model.path };
  }
  return trainedReference(ref.train, io);
}

/** The reference objectives being trained in this process, outermost first: a cycle is refused, not recursed into. */
const training: string[] = [];

async function trainedReference(file: string, io: ReferenceIo): Promise<ReferenceDir> {
  if (training.includes(file)) return { ok: false, messages: [`reference { train = "${file}" }: the reference objectives train each other in a cycle (${[...training, file].join(' -> ')})`] };
  const compiled = compileObjective({ file, compile: { overrides: [] } });
  if (!compiled.ok) {
    const lines = compiled.kind === 'diagnostics' ? [renderCompileDiagnostics(compiled.compiled, true)] : compiled.messages;
    return { ok: false, messages: [`reference { train = "${file}" }: the reference objective does not compile:`, ...lines] };
  }
  const { objective } = compiled;
  const { config, errors } = resolveRunConfig(objective.settings, { objectiveName: objective.name, sourceFile: file, origins: objective.settingSpans, packageRoot });
  if (errors.length > 0) return { ok: false, messages: errors.map((e) => `${file}: ${e}`) };
  let key: string;
  try {
    key = referenceKey(compiled.compiled.sources, config);
  } catch (e) {
    return { ok: false, messages: [`reference { train = "${file}" }: cannot read its inputs: ${(e as Error).message}`] };
  }
  const dir = join(referenceCacheRoot(), `${objective.name}-${key.slice(0, 16)}`);
  const finalDir = join(dir, 'final');
  if (existsSync(join(finalDir, 'config.json'))) {
    io.log(`reference: reusing ${finalDir} (${objective.name}, trained earlier from ${file})`);
    return { ok: true, dir: finalDir };
  }
  // A reference stopped half-way (Ctrl-C, a full disk) continues from its last checkpoint.
  const resume = existsSync(join(dir, 'metrics.jsonl')) ? dir : undefined;
  const steps = config.train.steps > 0 ? `${config.train.steps} steps` : `${config.train.epochs} epochs`;
  io.log(`reference: ${resume ? 'continuing to train' : 'training'} ${objective.name} (${file}, ${steps}) into ${dir}; later runs reuse it`);
  const started = Date.now();
  training.push(file);
  const result = await runPipeline(
    { file, compile: { overrides: [{ kind: 'set', key: 'train.out', value: JSON.stringify(dir) }] }, resume, backend: io.backend, skipBadRecords: false },
    { reporter: io.reporter ?? silentReporter, log: (line) => io.log(`reference: ${line}`), shouldStop: io.shouldStop ?? (() => false) },
  ).finally(() => training.pop());
  if (!result.ok) {
    const lines = result.kind === 'diagnostics' ? [renderCompileDiagnostics(result.compiled, true)] : result.messages;
    return { ok: false, messages: [`training the reference ${file} failed:`, ...lines] };
  }
  if (result.outcome.status !== 'completed' || result.outcome.finalDir === undefined) {
    return { ok: false, messages: [`training the reference ${file} stopped (${result.outcome.status}${result.outcome.message ? `: ${result.outcome.message}` : ''}); the next run continues it in ${dir}`] };
  }
  io.log(`reference: trained in ${((Date.now() - started) / 1000).toFixed(1)} s; model in ${result.outcome.finalDir}`);
  return { ok: true, dir: result.outcome.finalDir };
}

