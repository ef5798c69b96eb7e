// `sftgoc compare FILE… --seeds 1,2,3`: a thin orchestration over runFile. Every file is compiled
// and its settings resolved first (so a typo fails in seconds, not after an hour of training),
// then each (file, seed) trains through runFile into OUT/<objective>/seed-N with train.seed set,
// and the trainer's final held-out evaluation (the last eval.jsonl record) of each run is
// aggregated into per-group mean ± std over seeds. Each final model is also evaluated under every
// grouping the compared files define (and the data's fact column; groupings.ts), so every row has
// every grouping's columns and its worst group: printed, and written to OUT/compare.json,
// OUT/compare.md and a figure, OUT/compare.svg and OUT/compare.html.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { outputDirProblem } from '../train/output-dir.js';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { compileOrFail } from './compile.js';
import { ownedSettingProblems, runTimestamp, type MultiRunOptions } from './multi-run.js';
import { fail as failWith } from './output.js';
import { ExitCode } from '../cli/exit-codes.js';
import type { Output } from '../cli/output.js';
import type { SetOverride } from '../cli/overrides.js';
import { packageRoot } from '../util/package-root.js';
import { resolveRunConfig, type RunConfig } from '../train/config.js';
import { aggregate, markdownTable, type CompareRun, type CompareTable, type RunEval } from '../compare/aggregate.js';
import { compareHtml, compareSvg } from '../compare/figure.js';
import { evaluateUnder, groupingsOf, type GroupLosses } from './compare-groupings.js';
import { compareMarkdown } from '../compare/markdown.js';
import type { Objective } from '../ir/nodes.js';

export type CompareOptions = MultiRunOptions;

export interface CompareResult {
  exitCode: number;
  outDir?: string;
  runs?: CompareRun[];
  table?: CompareTable;
}

interface Planned {
  file: string;
  label: string;
  data: { train: string; eval?: string; questions?: string };
}

/** The training settings that decide what a comparison means; files that differ in them get a warning. */
function trainingShape(t: RunConfig['train']): string {
  return JSON.stringify({ steps: t.steps, epochs: t.epochs, batch: t.batch, grad_accum: t.gradAccum, lr: t.lr, lr_schedule: t.lrSchedule, weight_decay: t.weightDecay });
}

/** Objective names, made unique: the file name is added when two files share one, then a number. */
export function uniqueLabels(entries: ReadonlyArray<{ name: string; file: string }>): string[] {
  const labels = entries.map((e) => (entries.filter((o) => o.name === e.name).length > 1 ? `${e.name} (${basename(e.file)})` : e.name));
  return labels.map((l, i) => (labels.filter((o) => o === l).length > 1 ? `${l} #${labels.slice(0, i + 1).filter((o) => o === l).length}` : l));
}

const slug = (label: string) => label.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'objective';

export async function runCompare(files: readonly string[], options: CompareOptions, out: Output): Promise<CompareResult> {
  const human = (t: string) => void (options.quiet ? undefined : out.stderr(t));
  const fail = (exitCode: number, lines: string[]): CompareResult => ({ exitCode: failWith({ out, json: options.json, quiet: options.quiet }, exitCode, lines) });
  const owned = ownedSettingProblems(options.settings, 'compare');
  if (owned.length > 0) return fail(ExitCode.Usage, owned);
  if (files.length === 0) return fail(ExitCode.Usage, ['give at least one FILE']);
  if (options.seeds.length === 0) return fail(ExitCode.Usage, ['--seeds: give at least one seed']);

  // 1. Compile and resolve every file before training anything.
  const missing = files.filter((f) => !existsSync(f));
  if (missing.length > 0) return fail(ExitCode.Usage, missing.map((f) => `cannot read ${f}: no such file`));
  const names: { name: string; file: string }[] = [];
  const irs: Objective[] = [];
  const data: Planned['data'][] = [];
  const shapes: string[] = [];
  const problems: string[] = [];
  let badSource = false;
  for (const file of files) {
    const ir = compileOrFail(file, options, out, options.quiet).objective;
    if (ir === undefined) {
      badSource = true;
      continue;
    }
    const { config, errors } = resolveRunConfig(ir.settings, { objectiveName: ir.name, sourceFile: file, origins: ir.settingSpans, packageRoot });
    problems.push(...errors.map((e) => `${file}: ${e}`));
    if (config.data.eval === undefined) problems.push(`${file}: no held-out data to compare on: add data { eval = "FILE" } or --set data.eval=FILE`);
    names.push({ name: ir.name, file });
    irs.push(ir);
    shapes.push(trainingShape(config.train));
    data.push({
      train: resolve(config.data.train), eval: config.data.eval === undefined ? undefined : resolve(config.data.eval),
      ...(config.data.questions !== undefined ? { questions: resolve(config.data.questions) } : {}),
    });
    if (options.generate !== undefined && options.generate.questions === undefined && config.data.questions === undefined) {
      problems.push(`${file}: --generate needs questions: add data { questions = "FILE" }, --set data.questions=FILE or --questions FILE`);
    }
  }
  if (badSource) {
    // The diagnostics are already printed; under --json the document says only that it failed.
    if (options.json) out.stdout(JSON.stringify({ ok: false, exit_code: ExitCode.InputError }, null, 2));
    return { exitCode: ExitCode.InputError };
  }
  const outDir = options.out ?? join('runs', `compare-${runTimestamp()}`);
  // Checked before any training (a /proc path would otherwise make mkdir loop forever).
  const unwritable = outputDirProblem(outDir, '--out');
  if (unwritable !== undefined) problems.push(unwritable);
  if (problems.length > 0) return fail(ExitCode.InputError, problems);
  const labels = uniqueLabels(names);
  const planned: Planned[] = names.map((n, i) => ({ file: n.file, label: labels[i]!, data: data[i]! }));
  const differs = planned.filter((p) => p.data.train !== planned[0]!.data.train || p.data.eval !== planned[0]!.data.eval);
  for (const p of differs) {
    out.stderr(`warning: ${p.file} trains on ${p.data.train} and evaluates on ${p.data.eval}, unlike ${planned[0]!.file}; pass --set data.train=F --set data.eval=F to compare on the same data`);
  }

  if (shapes.some((s) => s !== shapes[0])) {
    out.stderr(`warning: the files differ in their train settings (${planned.map((p, i) => `${p.file}: ${shapes[i]}`).join('; ')}); pass --set train.KEY=VALUE to align them`);
  }

  // 2. Train every (file, seed) through runFile, then evaluate its final model under every grouping.
  await mkdir(outDir, { recursive: true });
  const groupings = await groupingsOf(planned.map((p, i) => ({ label: p.label, file: p.file, ir: irs[i]! })), planned[0]!.data.eval, outDir);
  if (groupings.length > 0) human(`groupings: ${groupings.map((g) => `${g.label} (${g.groups.join(', ')})`).join('; ')}`);
  const { runFile } = await import('./run.js');
  const runs: CompareRun[] = [];
  const total = planned.length * options.seeds.length;
  for (const p of planned) {
    for (const seed of options.seeds) {
      const runDir = join(outDir, slug(p.label), `seed-${seed}`);
      const settings: SetOverride[] = [
        ...options.settings,
        { block: 'train', key: 'seed', text: String(seed), flag: `train.seed=${seed}` },
        { block: 'train', key: 'out', text: JSON.stringify(resolve(runDir)), flag: `train.out=${runDir}` },
      ];
      human(`[${runs.length + 1}/${total}] ${p.label}, seed ${seed}: training into ${runDir}`);
      // The run's own chatter is dropped (quiet); its errors and warnings come through.
      const forward: Output = { stdout: () => undefined, stderr: (t) => out.stderr(t) };
      const result = await runFile(p.file, {
        params: options.params, settings, backend: options.backend, skipBadRecords: options.skipBadRecords, quiet: true, json: false, tty: false,
      }, forward);
      const last = result.outcome?.evals.at(-1);
      if (result.exitCode !== ExitCode.Success || last === undefined) {
        const why = result.exitCode === ExitCode.Success ? 'it wrote no held-out evaluation' : `it exited ${result.exitCode}`;
        return fail(result.exitCode === ExitCode.Success ? ExitCode.InputError : result.exitCode, [`${p.file}, seed ${seed}: ${why}; runs so far are in ${outDir}`]);
      }
      const under: Record<string, GroupLosses> = {};
      for (const g of groupings) {
        const losses = await evaluateUnder(runDir, g, { backend: options.backend, settings: options.settings });
        if (typeof losses === 'string') return fail(ExitCode.InputError, [losses]);
        under[g.label] = losses;
      }
      let answers: RunEval['answers'];
      if (options.generate !== undefined) {
        const { answerRun } = await import('../run/answer-eval.js');
        const scored = await answerRun(runDir, options.generate.questions ?? p.data.questions!, { ...options.generate, backend: options.backend });
        if (typeof scored === 'string') return fail(ExitCode.InputError, [`${p.file}, seed ${seed}: ${scored}`]);
        answers = scored;
        const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
        human(`    answers: contains ${pct(scored?.contains)}, facts ${pct(scored?.facts)}, exact ${pct(scored?.exact)}`);
      }
      runs.push({
        objective: p.label, file: p.file, seed, runDir,
        eval: { ce: last.ce, loss: last.loss, groups: last.groups, ...(groupings.length > 0 ? { groupings: under } : {}), ...(answers !== undefined ? { answers } : {}) },
      });
      const shown = groupings.length > 0
        ? Object.entries(under).flatMap(([label, gs]) => Object.entries(gs).map(([g, v]) => `, ${label}/${g} ${v.loss.toFixed(4)}`))
        : Object.entries(last.groups).map(([g, v]) => `, ${g} ${v.loss.toFixed(4)}`);
      human(`    held-out ce ${last.ce.toFixed(4)}${shown.join('')}`);
    }
  }

  // 3. The table.
  const table = aggregate(runs);
  const document = {
    ok: true, seeds: options.seeds, data: planned[0]!.data, out_dir: outDir,
    groupings: groupings.map((g) => ({ label: g.label, file: g.file, groups: g.groups })),
    params: options.params.map((p) => p.flag), settings: options.settings.map((s) => s.flag),
    columns: table.columns, rows: table.rows,
    runs: runs.map((r) => ({ objective: r.objective, file: r.file, seed: r.seed, run_dir: r.runDir, eval: r.eval })),
  };
  // NaN (the std of one seed) is not JSON: null says "not defined".
  const json = JSON.stringify(document, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  await writeFileAtomic(join(outDir, 'compare.json'), `${json}\n`);
  await writeFileAtomic(join(outDir, 'compare.md'), compareMarkdown(table, runs, { seeds: options.seeds, data: planned[0]!.data }));
  await writeFileAtomic(join(outDir, 'compare.svg'), compareSvg(table, runs));
  await writeFileAtomic(join(outDir, 'compare.html'), compareHtml(table, runs, { seeds: options.seeds, data: planned[0]!.data }));
  if (options.json) out.stdout(json);
  else {
    out.stdout(`Held-out loss per group, mean ± std over seeds ${options.seeds.join(', ')}:\n\n${markdownTable(table)}\n`);
    human(`wrote ${join(outDir, 'compare.json')}, compare.md, compare.svg and compare.html`);
  }
  return { exitCode: ExitCode.Success, outDir, runs, table };
}
