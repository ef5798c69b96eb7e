// `sftgoc groups FILE [--data F] [--limit N] [--format text|jsonl|html]` (CLI.md): compiles FILE,
// loads the data (--data, else the objective's data.train, else the bundled training set), computes
// the static scores over the whole file (tfidf's idf and frequency's counts are corpus statistics),
// partitions the first N samples with the objective's selectors (the reference evaluator's
// semantics, via partition.ts) and prints them. With a model (--model DIR or a model { } block) the
// view also shows each token's ce and can evaluate dynamic selectors (loss(), entropy(),
// excess_loss(), ce comparisons); without one such selectors are an error that says what to add.
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ExitCode } from '../cli/exit-codes.js';
import type { Output } from '../cli/output.js';
import type { ParamOverride, SetOverride } from '../cli/overrides.js';
import { packageRoot } from '../util/package-root.js';
import { formatDataError, loadDataset } from '../data/index.js';
import type { Objective } from '../ir/nodes.js';
import { formatScorer } from '../ir/print.js';
import { scorerKey } from '../ir/reference-eval.js';
import { formatTokenizerErrors, loadTokenizer } from '../tokenizer/index.js';
import { resolveRunConfig } from '../train/config.js';
import { analyze, readsModel } from '../analysis/index.js';
import { partitionSamples, type DynamicValues } from '../groupers/partition.js';
import { checkNeeds, needsOf, prepareScores } from '../groupers/prepare.js';
import type { SampleScores } from '../groupers/sample-scores.js';
import { REF_CE_KEY } from '../groupers/store.js';
import { renderHtml } from '../groupers/view/html.js';
import { renderJsonl } from '../groupers/view/jsonl.js';
import { renderText } from '../groupers/view/text.js';
import { buildView, type GroupsView } from '../groupers/view/view-model.js';
import { compileOrFail } from './compile.js';
import { fail as failWith } from './output.js';
import { referenceModelDir } from '../pipeline.js';
import { lineReporter } from '../train/reporter.js';
import { modelFitProblem } from '../model/fits.js';
import { startBackend } from '../backend/start.js';

export type GroupsFormat = 'text' | 'jsonl' | 'html';

export interface GroupsOptions {
  params: readonly ParamOverride[];
  settings: readonly SetOverride[];
  data?: string;
  /** Samples shown (from the start of the file). */
  limit: number;
  format: GroupsFormat;
  /** A Hugging Face model directory for ce and dynamic selectors; else the objective's model block. */
  model?: string;
  /**
   * Whether groups that select by the model's values may fall back to the model `sftgoc run` would
   * train (default true); the report passes false: a base model's values would misdescribe the run.
   */
  runModelFallback?: boolean;
  backend?: string;
  /** Write the output here instead of stdout. */
  out?: string;
  skipBadRecords: boolean;
  quiet: boolean;
  /** --json: one JSON document (`{ok, objective, samples, tokens}`, the jsonl format's records) instead of --format. */
  json?: boolean;
  /** ANSI colours in text output (a terminal). */
  colour: boolean;
}

/** The names of groups whose selectors need a model, for the message. */
function dynamicGroups(o: Objective): string[] {
  return o.partition.groups.filter((g) => readsModel(g.selector)).map((g) => g.name);
}

/** `sftgoc groups FILE`: the view of groups() rendered as text, JSONL or HTML. */
export async function runGroups(file: string, options: GroupsOptions, out: Output): Promise<number> {
  const view = await groupsView(file, options, out);
  if (typeof view === 'number') return view;
  const text = options.json === true
    ? JSON.stringify({ ok: true, objective: file, samples: view.samples.length, tokens: renderJsonl(view).map((l) => JSON.parse(l) as unknown) }, null, 2)
    : options.format === 'jsonl' ? renderJsonl(view).join('\n') : options.format === 'html' ? renderHtml(view) : renderText(view, { colour: options.colour }).join('\n');
  if (options.out !== undefined) {
    try {
      writeFileSync(options.out, text.endsWith('\n') ? text : `${text}\n`);
    } catch (e) {
      return failWith({ out, json: options.json === true, quiet: options.quiet }, ExitCode.InputError, [`cannot write ${options.out}: ${(e as Error).message}`]);
    }
    if (!options.quiet) out.stderr(`wrote ${options.out}`);
  } else out.stdout(text);
  return ExitCode.Success;
}

/**
 * The groups view (src/groupers/view/view-model.ts) of the first `limit` samples: compile, settings,
 * data, precomputed scores, the model's values when there is a model, the partition. Failures are
 * printed on `out` and their exit code returned. `report` embeds this view in report.html.
 */
export async function groupsView(file: string, options: Omit<GroupsOptions, 'format' | 'out' | 'colour'>, out: Output): Promise<GroupsView | number> {
  const fail = (code: number, lines: string[]): number => failWith({ out, json: options.json === true, quiet: options.quiet }, code, lines);
  const note = (line: string) => void (options.quiet ? undefined : out.stderr(line));

  // 1. Compile, with --param values (expressions, checked like source) and --set settings (checked
  // against the settings schemas with did-you-mean), exactly as `sftgoc run` does.
  if (!existsSync(file)) return fail(ExitCode.Usage, [`cannot read ${file}: no such file`]);
  const compiledGroups = compileOrFail(file, options, out, options.quiet);
  const ir = compiledGroups.objective;
  if (ir === undefined) {
    if (options.json === true) out.stdout(JSON.stringify({ ok: false, exit_code: ExitCode.InputError, diagnostics: compiledGroups.compiled.diagnostics }, null, 2));
    return ExitCode.InputError;
  }

  // 2. Settings: data, tokenizer, model, reference and batch size, as `sftgoc run` resolves them.
  const { config, errors } = resolveRunConfig(ir.settings, { objectiveName: ir.name, sourceFile: file, origins: ir.settingSpans, packageRoot });
  if (errors.length > 0) return fail(ExitCode.InputError, errors.map((e) => `${file}: ${e}`));
  const needModel = dynamicGroups(ir);
  // A model is loaded when one is named, or when a group selects by the model's values: then the
  // model `sftgoc run` would train (the bundled base model when the file names none).
  const useRunModel = options.model === undefined && (ir.settings.model !== undefined || (needModel.length > 0 && options.runModelFallback !== false));
  const modelDir = options.model ?? (useRunModel ? config.model.path : undefined);
  const modelPreset = useRunModel ? config.model.preset : undefined;
  const haveModel = modelDir !== undefined || modelPreset !== undefined;
  if (needModel.length > 0 && ir.settings.model === undefined && options.model === undefined && haveModel) {
    note(`model: ${modelDir ?? `preset ${modelPreset}`}, the model sftgoc run would use (give --model DIR for another)`);
  }
  if (needModel.length > 0 && !haveModel) {
    return fail(ExitCode.InputError, [
      `${file}: group${needModel.length > 1 ? 's' : ''} ${needModel.map((g) => `'${g}'`).join(', ')} select${needModel.length > 1 ? '' : 's'} by the model's values ` +
        `(loss(), excess_loss(), entropy() or ce and its relatives), so ${needModel.length > 1 ? 'they need' : 'it needs'} a model: give --model DIR or a model { path = "DIR" } block`,
    ]);
  }

  const tokenizerDir = options.model !== undefined && existsSync(join(options.model, 'tokenizer.json')) ? options.model : (config.model.tokenizer ?? config.model.path!);
  const tok = loadTokenizer(tokenizerDir);
  if (!tok.ok) return fail(ExitCode.InputError, [formatTokenizerErrors(tok.errors)]);
  const tokenizer = tok.tokenizer;
  const dataFile = options.data ?? config.data.train;
  const loaded = loadDataset(dataFile, {
    tokenizer, format: config.data.format as 'auto', maxLen: config.data.maxLen, lossOn: config.data.lossOn as 'response', skipBadRecords: options.skipBadRecords, maxRecordBytes: config.data.maxRecordBytes,
  });
  if (loaded.errors.length > 0) return fail(ExitCode.InputError, loaded.errors.map(formatDataError));
  if (loaded.samples.length === 0) return fail(ExitCode.InputError, [`${dataFile}: no samples`]);
  const corpus = loaded.samples;
  const shown = corpus.slice(0, options.limit);

  const analysis = analyze(ir);
  const needs = needsOf(ir, analysis);
  // The reference model as `sftgoc run` gets it: `reference { train }` is trained here on first use.
  const reference = analysis.scores.refCe
    ? await referenceModelDir(config, { log: note, reporter: options.quiet ? undefined : lineReporter(note), backend: options.backend })
    : { ok: true as const, dir: undefined };
  if (!reference.ok) return fail(ExitCode.InputError, reference.messages);
  const referenceDir = reference.dir;
  const problems = checkNeeds(needs, { train: corpus, eval: [] }, { baseDir: dirname(resolve(file)), referenceDir, tokenizer });
  if (problems.length > 0) return fail(ExitCode.InputError, problems.map((e) => `${file}: ${e}`));

  // 3. TensorFlow.js only when something runs a network: a model, llmlingua2, the reference model.
  const usesTf = haveModel || analysis.reference || analysis.scorers.some((s) => s.name === 'llmlingua2');
  if (usesTf) {
    const started = await startBackend(options.backend ?? config.train.backend);
    if (!started.ok) return fail(started.kind === 'usage' ? ExitCode.Usage : ExitCode.InputError, started.messages);
  }

  // 4. Static scores over the whole file, then the model's values on the shown samples.
  const prepared = await prepareScores(ir, { train: corpus, eval: [] }, { tokenizer, log: note, referenceDir });
  if (!prepared.ok) return fail(ExitCode.InputError, prepared.errors.map((e) => `${file}: ${e}`));
  const store = prepared.store;

  let dynamic: DynamicValues | undefined;
  if (haveModel) {
    const { createModel, loadModel, presetConfig, ModelFileError } = await import('../model/index.js');
    const { modelTokenValues } = await import('../groupers/model-ce.js');
    let model;
    try {
      if (modelDir !== undefined) model = await loadModel(modelDir);
      else {
        const preset = presetConfig(modelPreset!, { vocabSize: tokenizer.vocabSize });
        if (preset === undefined) return fail(ExitCode.InputError, [`model.preset: unknown preset '${modelPreset}'`]);
        note(`model: preset ${modelPreset} with freshly initialised weights (seed ${config.train.seed}): its ce says nothing about a trained model`);
        model = createModel(preset, config.train.seed);
      }
    } catch (e) {
      if (e instanceof ModelFileError) return fail(ExitCode.InputError, [e.message]);
      throw e;
    }
    try {
      const problem = modelFitProblem(modelDir ?? modelPreset!, model.config, tokenizer.vocabSize, shown);
      if (problem !== undefined) return fail(ExitCode.InputError, [problem]);
      dynamic = modelTokenValues(model, shown, tokenizer.padId);
    } finally {
      model.dispose();
    }
  }

  // 5. Groups, scores, output.
  const groups = partitionSamples(ir, shown, store, { batchSize: config.train.batch, dynamic });
  const scores: Record<string, SampleScores[]> = store.forSamples(shown);
  if (dynamic !== undefined) {
    for (const s of analysis.scorers.filter((x) => x.kind === 'dynamic')) {
      if (s.name === 'loss') scores[scorerKey(s)] = dynamic.ce;
      if (s.name === 'entropy') scores[scorerKey(s)] = dynamic.entropy;
      if (s.name === 'excess_loss') scores[scorerKey(s)] = dynamic.ce.map((c, i) => c.map((x, t) => x - scores[REF_CE_KEY]![i]![t]!));
    }
  }
  const labels: Record<string, string> = { [REF_CE_KEY]: 'ref_ce' };
  for (const s of analysis.scorers) labels[scorerKey(s)] = formatScorer(s);
  const view = buildView({
    labels,
    objective: ir.name, groupNames: [...ir.partition.groups.map((g) => g.name), 'rest'], samples: shown, texts: store.texts(shown), scores, groups, ce: dynamic?.ce,
  });
  return view;
}
