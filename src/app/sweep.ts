// `sftgoc sweep FILE --param NAME=V1,V2 [--set BLOCK.KEY=V1,V2] --seeds 1,2,3`: every point of the
// grid (grid.ts) × seed is one run through runFile, into OUT/<point>/seed-N; each run's final
// held-out evaluation (and, with --generate or an accuracy --by, its answers to the questions) is
// aggregated per point into mean ± std over seeds and the points ranked by --by. Writes sweep.json,
// sweep.md and sweep.svg (report.ts).
//
// Resumable: OUT/sweep-plan.json records the grid; running the same command again reuses every run
// that finished (final/ and eval.jsonl), resumes a run that has a checkpoint, and starts the rest.
// A different grid in the same OUT is refused, naming the difference.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { compileOrFail } from './compile.js';
import { ownedSettingProblems, runTimestamp, type MultiRunOptions } from './multi-run.js';
import { fail as failWith } from './output.js';
import { outputDirProblem } from '../train/output-dir.js';
import { packageRoot } from '../util/package-root.js';
import { ExitCode } from '../cli/exit-codes.js';
import type { Output } from '../cli/output.js';
import type { ParamOverride, SetOverride } from '../cli/overrides.js';
import { writeFileAtomic } from '../util/atomic.js';
import { latestCheckpoint } from '../train/checkpoint.js';
import { resolveRunConfig } from '../train/config.js';
import { sweepGrid, type GridPoint } from '../sweep/grid.js';
import { sweepMarkdown, sweepSvg } from '../sweep/report.js';
import { rankPoints } from '../sweep/rank.js';
import { isAccuracy, SWEEP_METRICS, type SweepMetric, type SweepRow, type SweepRun } from '../sweep/types.js';

export { isAccuracy, SWEEP_METRICS, type SweepMetric, type SweepRow, type SweepRun } from '../sweep/types.js';
export { rankPoints } from '../sweep/rank.js';

export interface SweepOptions extends MultiRunOptions {
  /** The metric that ranks the points; an accuracy implies `generate`. */
  by: SweepMetric;
}

export interface SweepResult {
  exitCode: number;
  outDir?: string;
  rows?: SweepRow[];
}

/** The last eval.jsonl record of a finished run, as numbers; undefined when the run has none. */
function lastEval(runDir: string): { ce: number; worst?: number } | undefined {
  try {
    const lines = readFileSync(join(runDir, 'eval.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const last = JSON.parse(lines.at(-1)!) as { ce: number; groups: Record<string, { loss: number; tokens: number }> };
    const losses = Object.values(last.groups ?? {}).filter((g) => g.tokens > 0).map((g) => g.loss);
    return { ce: last.ce, ...(losses.length > 0 ? { worst: Math.max(...losses) } : {}) };
  } catch {
    return undefined;
  }
}

/** generation.json's shares, when the run was already answered with these questions. */
function lastAnswers(runDir: string, questions: string): Pick<SweepRun, 'contains' | 'facts' | 'exact'> | undefined {
  try {
    const g = JSON.parse(readFileSync(join(runDir, 'generation.json'), 'utf8')) as { questions: string; contains: number | null; facts: number | null; exact: number | null };
    if (resolve(g.questions) !== resolve(questions)) return undefined;
    return { ...(g.contains !== null ? { contains: g.contains } : {}), ...(g.facts !== null ? { facts: g.facts } : {}), ...(g.exact !== null ? { exact: g.exact } : {}) };
  } catch {
    return undefined;
  }
}

export async function runSweep(file: string, options: SweepOptions, out: Output): Promise<SweepResult> {
  const human = (t: string) => void (options.quiet ? undefined : out.stderr(t));
  const fail = (exitCode: number, lines: string[]): SweepResult => ({ exitCode: failWith({ out, json: options.json, quiet: options.quiet }, exitCode, lines) });
  const owned = ownedSettingProblems(options.settings, 'sweep');
  if (owned.length > 0) return fail(ExitCode.Usage, owned);
  if (options.seeds.length === 0) return fail(ExitCode.Usage, ['--seeds: give at least one seed']);
  if (!existsSync(file)) return fail(ExitCode.Usage, [`cannot read ${file}: no such file`]);
  const planned = sweepGrid(options.params, options.settings);
  if ('errors' in planned) return fail(ExitCode.Usage, planned.errors);
  const { grid, fixed } = planned;
  const generate = options.generate ?? (isAccuracy(options.by) ? {} : undefined);

  // 1. Every point compiles and resolves before anything trains.
  let questions: string | undefined;
  for (const point of grid.points) {
    const ir = compileOrFail(file, { params: [...fixed.params, ...point.params], settings: [...fixed.settings, ...point.settings] }, out, options.quiet).objective;
    if (ir === undefined) return fail(ExitCode.InputError, [`${file} does not compile at ${point.label}`]);
    const { config, errors } = resolveRunConfig(ir.settings, { objectiveName: ir.name, sourceFile: file, origins: ir.settingSpans, packageRoot });
    if (errors.length > 0) return fail(ExitCode.InputError, errors.map((e) => `${point.label}: ${e}`));
    if (config.data.eval === undefined) return fail(ExitCode.InputError, [`${file}: no held-out data to rank on: add data { eval = "FILE" } or --set data.eval=FILE`]);
    if (options.by === 'worst' && ir.partition.groups.length === 0) return fail(ExitCode.Usage, [`--by worst: ${file} declares no groups; rank by --by ce (or an accuracy: contains, facts, exact)`]);
    questions ??= generate?.questions ?? config.data.questions;
  }
  if (generate !== undefined && questions === undefined) return fail(ExitCode.Usage, [`--by ${options.by}: needs questions: --questions FILE, or data { questions = "FILE" }`]);

  // 2. The sweep directory and its plan: the same command continues a stopped sweep.
  const outDir = options.out ?? join('runs', `sweep-${runTimestamp()}`);
  // Checked before any training (a /proc path would otherwise make mkdir loop forever).
  const unwritable = outputDirProblem(outDir, '--out');
  if (unwritable !== undefined) return fail(ExitCode.InputError, [unwritable]);
  await mkdir(outDir, { recursive: true });
  const plan = { file: resolve(file), points: grid.points.map((p) => p.label), fixed: [...fixed.params, ...fixed.settings].map((o) => o.flag), seeds: options.seeds };
  const planFile = join(outDir, 'sweep-plan.json');
  if (existsSync(planFile)) {
    const before = JSON.parse(readFileSync(planFile, 'utf8')) as typeof plan;
    const differs = (Object.keys(plan) as Array<keyof typeof plan>).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(plan[k]));
    if (differs.length > 0) return fail(ExitCode.InputError, [`${outDir} holds another sweep (its ${differs.join(', ')} differ${differs.length === 1 ? 's' : ''}); use another --out`]);
    human(`continuing the sweep in ${outDir}`);
  } else {
    await writeFileAtomic(planFile, `${JSON.stringify(plan, null, 2)}\n`);
  }

  // 3. The runs, in grid order.
  const { runFile } = await import('./run.js');
  const runs: SweepRun[] = [];
  const total = grid.points.length * options.seeds.length;
  for (const point of grid.points) {
    for (const seed of options.seeds) {
      const runDir = join(outDir, point.slug, `seed-${seed}`);
      const tag = `[${runs.length + 1}/${total}] ${point.label}, seed ${seed}`;
      let evaluated = existsSync(join(runDir, 'final', 'config.json')) ? lastEval(runDir) : undefined;
      if (evaluated !== undefined) human(`${tag}: done before, reused`);
      else {
        const code = await trainPoint(runFile, file, point, fixed, seed, runDir, options, out, human, tag);
        if (code !== ExitCode.Success) {
          return fail(code, [`${point.label}, seed ${seed}: the run exited ${code}; the finished runs are kept: run the same command (with --out ${outDir}) to continue`]);
        }
        evaluated = lastEval(runDir);
        if (evaluated === undefined) return fail(ExitCode.InputError, [`${point.label}, seed ${seed}: the run wrote no held-out evaluation (${join(runDir, 'eval.jsonl')})`]);
      }
      const run: SweepRun = { point: point.label, seed, runDir, ...evaluated };
      if (generate !== undefined) {
        let answers = lastAnswers(runDir, questions!);
        if (answers === undefined) {
          const { answerRun } = await import('../run/answer-eval.js');
          const scored = await answerRun(runDir, questions!, { ...generate, ...(options.backend !== undefined ? { backend: options.backend } : {}) });
          if (typeof scored === 'string') return fail(ExitCode.InputError, [`${point.label}, seed ${seed}: ${scored}`]);
          answers = scored;
        }
        Object.assign(run, answers);
      }
      runs.push(run);
      const pct = (x: number | undefined) => (x === undefined ? '' : ` ${(100 * x).toFixed(1)}%`);
      human(`    held-out ce ${run.ce.toFixed(4)}${run.worst !== undefined ? `, worst group ${run.worst.toFixed(4)}` : ''}${generate !== undefined ? `, contains${pct(run.contains)}, facts${pct(run.facts)}` : ''}`);
    }
  }

  // 4. Rank and write.
  const rows = rankPoints(grid.points.map((p) => p.label), runs, options.by);
  const document = {
    ok: true, file, by: options.by, seeds: options.seeds, axes: grid.axes, fixed: plan.fixed, out_dir: outDir,
    rows: rows.map((r) => ({ rank: r.rank, point: r.point, cells: r.cells })),
    runs: runs.map((r) => ({ point: r.point, seed: r.seed, run_dir: r.runDir, ce: r.ce, worst: r.worst ?? null, contains: r.contains ?? null, facts: r.facts ?? null, exact: r.exact ?? null })),
  };
  const json = JSON.stringify(document, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2);
  await writeFileAtomic(join(outDir, 'sweep.json'), `${json}\n`);
  const info = { file, by: options.by, seeds: options.seeds, axes: grid.axes, fixed: plan.fixed, generate: generate !== undefined };
  const markdown = sweepMarkdown(rows, runs, info);
  await writeFileAtomic(join(outDir, 'sweep.md'), markdown);
  await writeFileAtomic(join(outDir, 'sweep.svg'), sweepSvg(rows, runs, info));
  if (options.json) out.stdout(json);
  else {
    out.stdout(markdown.split('\n## Runs')[0]!.trimEnd());
    human(`wrote ${join(outDir, 'sweep.json')}, sweep.md and sweep.svg`);
  }
  return { exitCode: ExitCode.Success, outDir, rows };
}

/** One (point, seed) run: resumed from its checkpoint when it has one, started afresh otherwise. */
async function trainPoint(
  runFile: typeof import('./run.js').runFile, file: string, point: GridPoint, fixed: { params: ParamOverride[]; settings: SetOverride[] }, seed: number, runDir: string,
  options: SweepOptions, out: Output, human: (t: string) => void, tag: string,
): Promise<number> {
  const checkpoint = existsSync(runDir) ? await latestCheckpoint(runDir) : undefined;
  if (checkpoint === undefined && existsSync(runDir)) {
    // A run this sweep started that saved nothing yet: nothing to keep.
    if (!existsSync(join(runDir, 'config.json'))) return (out.stderr(`error: ${runDir} exists and is not a run directory; move it away`), ExitCode.InputError);
    await rm(runDir, { recursive: true, force: true });
  }
  human(`${tag}: ${checkpoint !== undefined ? `resuming ${runDir} from step ${checkpoint.step}` : `training into ${runDir}`}`);
  const settings: SetOverride[] = [
    ...fixed.settings, ...point.settings,
    { block: 'train', key: 'seed', text: String(seed), flag: `train.seed=${seed}` },
    { block: 'train', key: 'out', text: JSON.stringify(resolve(runDir)), flag: `train.out=${runDir}` },
  ];
  // The run's own chatter is dropped (quiet); its errors and warnings come through.
  const forward: Output = { stdout: () => undefined, stderr: (t) => out.stderr(t) };
  const result = await runFile(file, {
    params: [...fixed.params, ...point.params], settings, backend: options.backend, skipBadRecords: options.skipBadRecords, quiet: true, json: false, tty: false,
    ...(checkpoint !== undefined ? { resume: runDir } : {}),
  }, forward);
  return result.exitCode;
}
