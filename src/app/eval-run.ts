// `sftgoc eval RUN_DIR | --model DIR --data F`: held-out loss per group and perplexity of a trained
// model. From a run directory: its final/ model (or latest checkpoint), its objective and its eval
// data, as recorded in config.json. The objective's static scores (tfidf's idf is a statistic of the
// run's TRAINING samples) and the reference ce are computed as the run computed them, reading the
// run's cache/ where it already holds them. With --model/--data and no run directory the objective
// is mean ce, or --objective FILE, whose corpus statistics then come from the evaluated data itself.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ExitCode } from '../cli/exit-codes.js';
import type { Output } from '../cli/output.js';
import { renderCompileDiagnostics } from '../diagnostics/output.js';
import { decodeProgressBar } from './progress-bar.js';
import { compileFile } from '../compile.js';
import type { Sample } from '../data/types.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import type { Objective } from '../ir/nodes.js';
import { makeBatches } from '../data/batch.js';
import { formatDataError, loadDataset, type LoadedDataset } from '../data/index.js';
import type { EngineName, EngineOptions } from '../engine/index.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { ModelFileError, loadModel } from '../model/index.js';
import { formatTokenizerErrors, loadTokenizer } from '../tokenizer/index.js';
import { latestCheckpoint } from '../train/checkpoint.js';
import { modelOfRun } from '../run/run-model.js';
import { evaluate, type EvalResult } from '../train/evaluate.js';
import { meanCe, type StepObjective } from '../train/objective.js';
import { lowerForRun } from '../lower/run-objective.js';
import { analyzeObjective } from '../analysis/index.js';
import { compileOverrides } from '../cli/compiler-bridge.js';
import type { ParamOverride, SetOverride } from '../cli/overrides.js';
import { packageRoot } from '../util/package-root.js';
import { DATA_DEFAULTS, modelPositions, resolveRunConfig, type RunConfig } from '../train/config.js';
import { lineReporter } from '../train/reporter.js';
import { referenceModelDir } from '../pipeline.js';
import { fail as failWith } from './output.js';
import { startBackend } from '../backend/start.js';

/** Samples per batch when neither --batch nor the run's train.batch says (eval's own default, not training's). */
const DEFAULT_EVAL_BATCH = 8;

export interface EvalOptions {
  runDir?: string;
  /** A .sftgo file whose objective is evaluated with --model/--data (without it: mean ce). */
  objective?: string;
  /** --set BLOCK.KEY=VALUE applied to the evaluated objective (reference.path is the one eval reads). */
  settings?: readonly SetOverride[];
  /** --param NAME=VALUE: over the run's recorded params (config.json), or the objective's own. */
  params?: readonly ParamOverride[];
  model?: string;
  data?: string;
  /** Samples per batch; default the run's train.batch (as its eval.jsonl was computed), else 8. */
  batch?: number;
  maxLen?: number;
  backend: string;
  skipBadRecords: boolean;
  json: boolean;
  quiet: boolean;
  /** --generate: also answer the questions and score the answers (src/run/answer-eval.ts). */
  generate?: GenerateEvalOptions;
}

export interface GenerateEvalOptions {
  /** The questions: --questions, else the run's data.questions, else the evaluated data itself. */
  questions?: string;
  limit?: number;
  maxNew?: number;
  engine: EngineName;
  engineOptions: EngineOptions;
  /** Where generations.jsonl and generation.json go: --generations DIR, else the run directory. */
  outDir?: string;
  /** stderr is a terminal: a progress bar. */
  tty: boolean;
}

interface Target {
  modelDir: string;
  dataFile: string;
  format: string;
  lossOn: string;
  maxLen: number;
  batch: number;
  /** The compiled objective; undefined: mean ce. */
  ir?: Objective;
  /** Relative scorer model paths resolve here (the run's original .sftgo folder). */
  baseDir?: string;
  /** The run's training data, for corpus statistics; undefined: the evaluated data's own samples. */
  trainFile?: string;
  /** The reference as declared (with the model it may be `self` of); made a directory by referenceModelDir when the objective reads ref_ce. */
  reference?: Pick<RunConfig, 'reference' | 'model'>;
  cacheDir?: string;
  notes: string[];
  /** Where schedules are read: the step the evaluated weights were saved at (a run's last step). */
  clock: { step: number; totalSteps: number };
  /** The run's data.questions (config.json), for --generate. */
  questionsFile?: string;
}

type RunConfigJson = {
  source?: string;
  /** As declared (path, "self" or train), with `dir`, the directory the run used. */
  reference?: { path?: string; train?: string; dir?: string };
  model?: { path?: string; preset?: string };
  data?: { train?: string; eval?: string | null; questions?: string | null; format?: string; loss_on?: string; max_len?: number };
  train?: { batch?: number };
  /** Each param's value as the run used it (printed IR: `0.5`, `linear(0.9 -> 0.05)`), --param overrides included. */
  params?: Record<string, string>;
};

async function targetOf(o: EvalOptions): Promise<Target | string[]> {
  if (o.runDir === undefined) {
    if (o.model === undefined || o.data === undefined) return ['give a RUN_DIR, or both --model DIR and --data FILE'];
    const target: Target = { modelDir: o.model, dataFile: o.data, format: DATA_DEFAULTS.format, lossOn: DATA_DEFAULTS.lossOn, maxLen: o.maxLen ?? modelPositions({ path: o.model }) ?? DATA_DEFAULTS.maxLen, batch: o.batch ?? DEFAULT_EVAL_BATCH, notes: [], clock: { step: 0, totalSteps: 1 } };
    if (o.objective !== undefined) {
      const ir = compileObjective(o.objective, o.settings, paramTexts({}, o.params));
      if (typeof ir === 'string') return [ir];
      target.ir = ir;
      target.baseDir = dirname(resolve(o.objective));
      // The objective's own reference { path } (or --set reference.path), as `sftgoc run` reads it.
      target.reference = referenceOf(ir, o.objective);
    }
    return target;
  }
  let config: RunConfigJson;
  try {
    config = JSON.parse(readFileSync(join(o.runDir, 'config.json'), 'utf8'));
  } catch (e) {
    return [`${o.runDir}/config.json: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found: not a run directory' : (e as Error).message}`];
  }
  const notes: string[] = [];
  let modelDir = o.model;
  const latest = await latestCheckpoint(o.runDir);
  if (modelDir === undefined) {
    const found = await modelOfRun(o.runDir);
    if ('problem' in found) return [found.problem];
    modelDir = found.modelDir;
    notes.push(...found.notes);
  }
  // The run's last step: a schedule such as λ = linear(0.9 -> 0.05) is evaluated where training ended.
  const clock = latest === undefined ? { step: 0, totalSteps: 1 } : stateClock(latest.dir);
  const dataFile = o.data ?? config.data?.eval ?? undefined;
  if (dataFile === undefined || dataFile === null) return [`${o.runDir}/config.json names no eval data; pass --data FILE`];
  const objectiveFile = o.objective ?? join(o.runDir, 'objective.sftgo');
  // The run's params (its --param overrides included) unless --objective names another objective; --param wins.
  const ir = compileObjective(objectiveFile, o.settings, paramTexts(o.objective === undefined ? config.params ?? {} : {}, o.params));
  if (typeof ir === 'string') return [ir];
  // The run's reference, unless --objective or --set reference.path names another.
  const ownReference = o.objective !== undefined || (o.settings ?? []).some((s) => s.block === 'reference');
  return {
    modelDir, dataFile, notes, ir,
    // The recorded source has its imports inlined; its relative paths were written next to the original file.
    baseDir: dirname(config.source ?? resolve(o.runDir, 'objective.sftgo')),
    trainFile: config.data?.train,
    reference: ownReference ? referenceOf(ir, objectiveFile) : recordedReference(config),
    cacheDir: existsSync(join(o.runDir, 'cache')) ? join(o.runDir, 'cache') : undefined,
    format: config.data?.format ?? DATA_DEFAULTS.format, lossOn: config.data?.loss_on ?? DATA_DEFAULTS.lossOn, maxLen: o.maxLen ?? config.data?.max_len ?? DATA_DEFAULTS.maxLen,
    // Rankings `per batch` depend on the batches: the run's own size reproduces its eval.jsonl.
    batch: o.batch ?? config.train?.batch ?? DEFAULT_EVAL_BATCH,
    clock,
    ...(config.data?.questions ? { questionsFile: config.data.questions } : {}),
  };
}

/** step and totalSteps from a checkpoint's state.json; the start of a one-step run when unreadable. */
function stateClock(checkpoint: string): { step: number; totalSteps: number } {
  try {
    const state = JSON.parse(readFileSync(join(checkpoint, 'state.json'), 'utf8')) as { step?: unknown; totalSteps?: unknown };
    if (typeof state.step === 'number' && typeof state.totalSteps === 'number' && state.totalSteps > 0) return { step: state.step, totalSteps: state.totalSteps };
  } catch {
    // fall through
  }
  return { step: 0, totalSteps: 1 };
}

/** Param values as compile() takes them: the recorded ones, then the command line's. */
function paramTexts(recorded: Record<string, string>, flags: readonly ParamOverride[] = []): Record<string, string> {
  const out: Record<string, string> = { ...recorded };
  for (const p of flags) out[p.name] = p.text;
  return out;
}

/** The reference block as `sftgoc run` resolves it (paths relative to the file that wrote them; --set: the working directory). */
function referenceOf(ir: Objective, file: string): Pick<RunConfig, 'reference' | 'model'> {
  const { config } = resolveRunConfig(ir.settings, { objectiveName: ir.name, sourceFile: file, origins: ir.settingSpans, packageRoot });
  return { reference: config.reference, model: config.model };
}

/** A run's reference from its config.json: the directory it used while that is still there, else as declared (a trained one is found or trained again). */
function recordedReference(config: RunConfigJson): Pick<RunConfig, 'reference' | 'model'> {
  const r = config.reference;
  const model = { ...(config.model?.path !== undefined ? { path: config.model.path } : {}), ...(config.model?.preset !== undefined ? { preset: config.model.preset } : {}) };
  if (r === undefined) return { model };
  if (r.dir !== undefined && existsSync(join(r.dir, 'config.json'))) return { reference: { path: r.dir }, model };
  if (r.train !== undefined) return { reference: { train: r.train }, model };
  if (r.path === 'self') return { reference: { self: true }, model };
  return { reference: r.path !== undefined ? { path: r.path } : undefined, model };
}

/** The compiled objective, or one message with its diagnostics. */
function compileObjective(file: string, settings: readonly SetOverride[] = [], params: Record<string, string> = {}): Objective | string {
  if (!existsSync(file)) return `cannot read ${file}: no such file`;
  const compiled = compileFile(file, { ...compileOverrides({ params: [], settings }), params });
  if (hasErrors(compiled.diagnostics) || compiled.objective === undefined) {
    return `${file} does not compile:\n${renderCompileDiagnostics(compiled, true)}`;
  }
  return compiled.objective;
}

export async function runEval(o: EvalOptions, out: Output): Promise<number> {
  const human = (text: string) => (o.json ? out.stderr(text) : out.stdout(text));
  const fail = (code: number, lines: string[]) => failWith({ out, json: o.json, quiet: o.quiet }, code, lines);
  const target = await targetOf(o);
  if (Array.isArray(target)) return fail(o.runDir === undefined ? ExitCode.Usage : ExitCode.InputError, target);
  if (!o.quiet) for (const n of target.notes) out.stderr(`note: ${n}`);

  const tok = loadTokenizer(target.modelDir);
  if (!tok.ok) return fail(ExitCode.InputError, [formatTokenizerErrors(tok.errors)]);
  const data = loadDataset(target.dataFile, {
    tokenizer: tok.tokenizer, format: target.format as 'auto', lossOn: target.lossOn as 'response', maxLen: target.maxLen, skipBadRecords: o.skipBadRecords,
  });
  // A questions file (`prompts` format) has nothing to take a loss on: with --generate, only the answers are scored.
  const answersOnly = o.generate !== undefined && data.format === 'prompts';
  let document: Record<string, unknown> = { ok: true, model: target.modelDir };
  if (!answersOnly) {
    const loss = await lossEval(o, target, tok.tokenizer, data, human, out);
    if (typeof loss === 'number') return loss;
    document = { ...document, ...loss };
  }
  if (o.generate !== undefined) {
    const answers = await answerEval(o, o.generate, target, tok.tokenizer, human, out);
    if (typeof answers === 'number') return answers;
    document.generation = answers;
  }
  if (o.json) out.stdout(JSON.stringify(document, null, 2));
  return ExitCode.Success;
}

/** Held-out loss per group and perplexity; the JSON fields, or the exit code of a failure (printed). */
async function lossEval(o: EvalOptions, target: Target, tokenizer: Tokenizer, data: LoadedDataset, human: (t: string) => void, out: Output): Promise<Record<string, unknown> | number> {
  const fail = (code: number, lines: string[]) => failWith({ out, json: o.json, quiet: o.quiet }, code, lines);
  if (data.errors.length > 0) return fail(ExitCode.InputError, data.errors.map(formatDataError));
  if (data.samples.length === 0) return fail(ExitCode.InputError, [`${target.dataFile}: no samples`]);

  const started = await startBackend(o.backend);
  if (!started.ok) return fail(started.kind === 'usage' ? ExitCode.Usage : ExitCode.InputError, started.messages);

  // The objective, lowered as `sftgoc run` lowers it, with its static scores and reference ce.
  let objective: StepObjective = meanCe;
  if (target.ir !== undefined) {
    const log = (line: string) => void (o.quiet ? undefined : out.stderr(line));
    let referenceDir: string | undefined;
    if (target.reference !== undefined && analyzeObjective(target.ir).scores.refCe) {
      const reference = await referenceModelDir(target.reference, { log, reporter: o.quiet ? undefined : lineReporter(log), backend: o.backend });
      if (!reference.ok) return fail(ExitCode.InputError, reference.messages);
      referenceDir = reference.dir;
    }
    const bridged = lowerForRun(target.ir, { tokenizer: tokenizer, referenceDir, baseDir: target.baseDir, log });
    if (!bridged.ok) return fail(ExitCode.InputError, bridged.problems);
    let train: readonly Sample[] = data.samples;
    // Training samples matter only for corpus statistics (static scorers, `per corpus` ranks); an
    // objective with only dynamic groups and ref_ce would otherwise run the reference over them for nothing.
    const { scores } = analyzeObjective(target.ir);
    const needsCorpus = scores.scorers.size > 0 || scores.corpusRanks.length > 0;
    if (target.trainFile !== undefined && needsCorpus) {
      const loadedTrain = loadDataset(target.trainFile, {
        tokenizer: tokenizer, format: target.format as 'auto', lossOn: target.lossOn as 'response', maxLen: target.maxLen, skipBadRecords: true,
      });
      if (loadedTrain.errors.length > 0) return fail(ExitCode.InputError, loadedTrain.errors.map(formatDataError));
      train = loadedTrain.samples;
    } else if (target.trainFile === undefined && needsCorpus && !o.quiet) {
      out.stderr(`note: no run directory: corpus statistics (tfidf's idf, frequency counts) come from ${target.dataFile} itself`);
    }
    const problems = await bridged.objective.prepareScores({ train, eval: data.samples, ...(target.cacheDir !== undefined ? { cacheDir: target.cacheDir } : {}) });
    if (problems.length > 0) return fail(ExitCode.InputError, problems);
    objective = bridged.objective;
  }
  let model;
  try {
    model = await loadModel(target.modelDir);
  } catch (e) {
    if (e instanceof ModelFileError) return fail(ExitCode.InputError, [e.message]);
    throw e;
  }
  let result: EvalResult;
  try {
    const batches = makeBatches(data.samples, { batchSize: target.batch, seed: 0, epoch: 0, padId: tokenizer.padId, shuffle: false });
    result = evaluate(model, objective, batches, target.clock);
  } finally {
    model.dispose();
  }
  human(`${target.modelDir} on ${target.dataFile} (${data.samples.length} samples, ${result.tokens} loss tokens, backend ${started.backend.name})`);
  human(`  ce ${result.ce.toFixed(4)}  perplexity ${result.perplexity.toFixed(2)}  loss ${result.loss.toFixed(4)}`);
  for (const [name, g] of Object.entries(result.groups)) {
    human(`  group ${name}: loss ${g.loss.toFixed(4)} over ${g.tokens} tokens${name === result.worstGroup ? '  (worst)' : ''}`);
  }
  return {
    objective: objective.name, data: target.dataFile, samples: data.samples.length, tokens: result.tokens, backend: started.backend.name,
    loss: result.loss, ce: result.ce, perplexity: result.perplexity, groups: result.groups, worst_group: result.worstGroup,
  };
}

/** --generate: the questions answered and scored, written beside the result; the JSON fields, or an exit code. */
async function answerEval(o: EvalOptions, g: GenerateEvalOptions, target: Target, tokenizer: Tokenizer, human: (t: string) => void, out: Output): Promise<Record<string, unknown> | number> {
  const { evaluateAnswers, writeAnswerEval, summaryLine, ANSWER_DECODING } = await import('../run/answer-eval.js');
  const questionsFile = g.questions ?? target.questionsFile ?? target.dataFile;
  const bar = decodeProgressBar('answering', 'questions', g.tty && !o.quiet);
  const result = await evaluateAnswers({
    modelDir: target.modelDir, tokenizer, questionsFile, skipBadRecords: o.skipBadRecords, engine: g.engine, engineOptions: { ...g.engineOptions, backend: o.backend },
    options: { ...ANSWER_DECODING, ...(g.maxNew !== undefined ? { maxNew: g.maxNew } : {}) },
    ...(g.limit !== undefined ? { limit: g.limit } : {}),
    progress: bar.progress,
  });
  bar.stop();
  if (!result.ok) return failWith({ out, json: o.json, quiet: o.quiet }, result.kind === 'usage' ? ExitCode.Usage : ExitCode.InputError, result.problems);
  if (!o.quiet) for (const n of result.notes) out.stderr(`note: ${n}`);
  human(`answers to ${questionsFile}: ${summaryLine(result.summary)}`);
  const dir = g.outDir ?? o.runDir;
  let written: { generations: string; summary: string } | undefined;
  if (dir !== undefined) {
    written = await writeAnswerEval(dir, result, { model: target.modelDir, questions: questionsFile, engine: g.engine });
    human(`  the answers, one a line: ${written.generations}`);
  } else if (!o.quiet) {
    out.stderr('note: pass --generations DIR to keep the answers (generations.jsonl) and their summary (generation.json)');
  }
  const s = result.summary;
  return {
    questions: questionsFile, engine: g.engine, n: s.n, exact: s.exact ?? null, contains: s.contains ?? null, facts: s.facts ?? null,
    ...(written !== undefined ? { generations: written.generations, summary: written.summary } : {}),
  };
}
