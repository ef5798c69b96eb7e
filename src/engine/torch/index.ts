// The PyTorch engine: the objective emitted as Python (emit-objective.ts) with the runtime files
// (python/), the run's inputs exported once (export.ts: tokenized samples, static scores, reference
// ce, epoch orders), and the generated program run out of process by the found Python, as
// --nproc processes with torch.distributed's environment when --nproc > 1. The child writes metrics.jsonl, eval.jsonl, checkpoints and final/ in
// the tfjs engine's layout and reports each step on stdout (`@sftgoc {json}` lines), which this
// side turns into the reporter's progress. Ctrl-C: sftgoc asks the child to stop through a stop
// file (the children run in their own process groups, so no rank is torn down half-way); the
// child finishes the update, saves a checkpoint and exits 130.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseConfig } from '../../model/config.js';
import { writeFileAtomic } from '../../train/atomic.js';
import { resumeCommand } from '../../train/run-dir.js';
import { planSteps } from '../../train/plan.js';
import type { EvalMetrics, StepMetrics } from '../../train/metrics.js';
import type { Engine, EngineInputs, PreparedRun, PrepareResult, TrainOutcome } from '../types.js';
import type { OnPolicyNeeds } from '../../onpolicy/types.js';
import { checkDecodeTable, decodeTable, type DecodeTable } from './decode-table.js';
import { emitObjective } from './emit-objective.js';
import { programInput, stepSettings } from './export.js';
import { torchDecode } from './generate.js';
import { writeProgram, TRAIN_SCRIPT } from './program.js';
import { findPython, type PythonEnv } from './python-env.js';

export interface TorchPlan {
  env: PythonEnv;
  device: 'cpu' | 'cuda';
  nproc: number;
}

/** The Python, device and process count a run would use, or why it cannot run. */
export function planTorch(options: EngineInputs['options'] = {}): { ok: true; plan: TorchPlan } | { ok: false; problems: string[] } {
  const nproc = options.nproc ?? 1;
  if (!Number.isInteger(nproc) || nproc < 1 || nproc > 1024) return { ok: false, problems: [`--nproc ${nproc}: expected a whole number from 1 to 1024`] };
  const found = findPython(options.python);
  if (!found.ok) return { ok: false, problems: [found.message] };
  const want = options.device ?? 'auto';
  if (want === 'cuda' && !found.env.cuda) return { ok: false, problems: [`--device cuda: ${found.env.python} has torch ${found.env.torchVersion} without a usable CUDA device; use --device cpu`] };
  const device = want === 'auto' ? (found.env.cuda ? 'cuda' : 'cpu') : want;
  if (device === 'cuda' && nproc > found.env.gpus) return { ok: false, problems: [`--nproc ${nproc}: only ${found.env.gpus} CUDA device(s) are visible; one process per GPU`] };
  return { ok: true, plan: { env: found.env, device, nproc } };
}

export const torchEngine: Engine = {
  name: 'torch',
  // generate.ts: sftgoc_generate.py's cached decode, in one process of the Python and on the device
  // that `run` would use (generation has no use for --nproc).
  async decode(request, options, progress) {
    const planned = planTorch({ python: options?.python, device: options?.device });
    if (!planned.ok) return planned;
    return torchDecode(planned.plan.env, planned.plan.device, request, progress);
  },
  preflight(options) {
    const planned = planTorch(options);
    return planned.ok ? [] : planned.problems;
  },
  async prepare(inputs: EngineInputs): Promise<PrepareResult> {
    const planned = planTorch(inputs.options);
    if (!planned.ok) return planned;
    if (inputs.runDir === undefined) return { ok: false, problems: ['the torch engine needs a run directory (train.out)'] };
    const problems: string[] = [];
    const t = inputs.config.train;
    if (planned.plan.nproc > 1 && t.gradAccum % planned.plan.nproc !== 0) {
      inputs.log(`note: train.grad_accum = ${t.gradAccum} micro-batches are dealt to ${planned.plan.nproc} processes; a multiple of ${planned.plan.nproc} keeps every process busy`);
    }
    if (inputs.resumeFrom !== undefined) problems.push(...resumeProblems(inputs));
    let table: DecodeTable | undefined;
    if (onPolicyOf(inputs) !== undefined) {
      const checked = onPolicyProblems(inputs);
      problems.push(...checked.problems);
      table = checked.table;
    }
    if (problems.length > 0) return { ok: false, problems };
    return { ok: true, run: new TorchRun(inputs, planned.plan, table) };
  },
};

/** `analysis.onPolicy`: set when the file has `sample { }` (contract: src/onpolicy/types.ts). */
function onPolicyOf(inputs: EngineInputs): OnPolicyNeeds | undefined {
  return inputs.analysis.onPolicy;
}

/** What an epoch is made of: the training samples, or the prompts when on-policy. */
function epochUnits(inputs: EngineInputs): number {
  return onPolicyOf(inputs) !== undefined ? inputs.prompts?.length ?? 0 : inputs.data.train.length;
}

/**
 * What the program cannot do on-policy: per-token values sftgoc precomputes for fixed samples
 * (static scores, reference ce, regex masks) do not exist for responses sampled during the run,
 * and a tokenizer whose decoding the byte table does not reproduce would score other text.
 */
function onPolicyProblems(inputs: EngineInputs): { problems: string[]; table?: DecodeTable } {
  const prompts = inputs.prompts ?? [];
  if (prompts.length === 0) return { problems: ['on-policy training (sample { }) needs prompts in data.train; none were loaded'] };
  const emitted = emitObjective(inputs.objective, inputs.sourceFile, inputs.analysis);
  const per = [...Object.values(emitted.staticScorers), ...(emitted.needs.refCe ? ['ref_ce'] : []), ...emitted.regexPatterns.map((p) => `regex(${JSON.stringify(p)})`)];
  if (per.length > 0) {
    return { problems: [`${inputs.sourceFile}: the torch engine trains on-policy only on objectives without precomputed per-token values; this one reads ${[...new Set(per)].join(', ')}; use --engine tfjs`] };
  }
  const table = decodeTable(inputs.tokenizer);
  const wrong = checkDecodeTable(inputs.tokenizer, table, 300, prompts.slice(0, 50).map((p) => p.ids));
  return wrong === undefined ? { problems: [], table } : { problems: [wrong] };
}

/** The checks of the tfjs trainer's resume: the same data layout and seed (the length may change: train.steps extends a run). */
function resumeProblems(inputs: EngineInputs): string[] {
  const t = inputs.config.train;
  let s: { layout: { batch: number; gradAccum: number; trainSamples: number }; rng: { seed: number } };
  try {
    s = JSON.parse(readFileSync(join(inputs.resumeFrom!, 'state.json'), 'utf8')) as typeof s;
  } catch (e) {
    return [`cannot resume from ${inputs.resumeFrom}: ${(e as Error).message}`];
  }
  const now = { batch: t.batch, gradAccum: t.gradAccum, trainSamples: epochUnits(inputs) };
  const what = (Object.keys(now) as Array<keyof typeof now>).filter((k) => s.layout[k] !== now[k]).map((k) => `${k} ${s.layout[k]} → ${now[k]}`);
  if (s.rng.seed !== t.seed) what.push(`seed ${s.rng.seed} → ${t.seed}`);
  return what.length === 0 ? [] : [`cannot resume from ${inputs.resumeFrom}: the run's settings changed (${what.join(', ')}); a resume must replay the same data`];
}

/**
 * Starts the program: one process, or `nproc` processes on this machine with torch.distributed's
 * environment (RANK, WORLD_SIZE, MASTER_ADDR/PORT: what `torchrun --standalone` sets; torchrun itself
 * is not used here because Debian's torch 1.13 torchrun fails under Python 3.11). Each in its own
 * process group, so a Ctrl-C in the terminal reaches sftgoc alone, which asks for the stop.
 */
async function launch(plan: TorchPlan, script: string, specFile: string, cwd: string): Promise<ChildProcess[]> {
  if (plan.nproc === 1) return [spawn(plan.env.python, [script, specFile], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true })];
  const port = await freePort();
  return Array.from({ length: plan.nproc }, (_, rank) => spawn(plan.env.python, [script, specFile], {
    cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    env: {
      ...process.env, RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: String(plan.nproc), LOCAL_WORLD_SIZE: String(plan.nproc),
      GROUP_RANK: '0', MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port),
    },
  }));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

class TorchRun implements PreparedRun {
  readonly notes: string[];

  constructor(private readonly inputs: EngineInputs, private readonly plan: TorchPlan, private readonly table?: DecodeTable) {
    this.notes = [`torch ${plan.env.torchVersion} (python ${plan.env.pythonVersion}, ${plan.env.python}) on ${plan.device}, ${plan.nproc} process(es)`];
  }

  private get programDir(): string {
    return join(this.inputs.runDir!.path, 'torch');
  }

  /** The initial weights' folder and config.json: model.path as it is, or the preset initialised by sftgoc. */
  private async initialModel(): Promise<{ dir: string; config: Record<string, unknown> } | { problems: string[] }> {
    const { config, tokenizer, data } = this.inputs;
    const ids = { bos_token_id: tokenizer.bosId, eos_token_id: tokenizer.eosId, pad_token_id: tokenizer.padId };
    const tokenIds = Object.fromEntries(Object.entries(ids).filter(([, v]) => v !== undefined));
    let dir: string;
    if (config.model.path !== undefined) {
      dir = config.model.path;
    } else {
      // A preset: the same seeded initialisation as the tfjs engine, written once as the starting point.
      const { loadRunModel } = await import('../tfjs/load-model.js');
      const { saveModel } = await import('../../model/index.js');
      const loaded = await loadRunModel(config, tokenizer, [...data.train, ...data.eval]);
      if (!loaded.ok) return { problems: loaded.errors };
      dir = join(this.programDir, 'init');
      await saveModel(loaded.model, dir, { tokenIds: { bos: tokenizer.bosId, eos: tokenizer.eosId, pad: tokenizer.padId } });
      loaded.model.dispose();
    }
    const file = join(dir, 'config.json');
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      const parsed = parseConfig(raw, file);
      if (parsed.vocabSize < tokenizer.vocabSize) return { problems: [`${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${parsed.vocabSize} embeddings`] };
      const tooLong = [...data.train, ...data.eval].find((s) => s.ids.length > parsed.maxPositions);
      if (tooLong !== undefined) return { problems: [`${tooLong.source.file}:${tooLong.source.line}: ${tooLong.ids.length} tokens exceed the model's ${parsed.maxPositions} positions; lower data.max_len`] };
      const maxNew = onPolicyOf(this.inputs)?.sample.maxNew ?? 0;
      const longPrompt = maxNew > 0 ? (this.inputs.prompts ?? []).find((p) => p.ids.length + maxNew > parsed.maxPositions) : undefined;
      if (longPrompt !== undefined) return { problems: [`${longPrompt.source.file}:${longPrompt.source.line}: the prompt's ${longPrompt.ids.length} tokens + sample.max_new ${maxNew} exceed the model's ${parsed.maxPositions} positions`] };
    } catch (e) {
      return { problems: [(e as Error).message] };
    }
    return { dir, config: { ...raw, torch_dtype: 'float32', ...tokenIds } };
  }

  async train(): Promise<TrainOutcome> {
    const { inputs, plan } = this;
    const runDir = inputs.runDir!;
    const needs = onPolicyOf(inputs);
    const total = planSteps(epochUnits(inputs), stepSettings(inputs.config.train, needs !== undefined)).totalSteps;
    const outcome: TrainOutcome = { status: 'completed', step: 0, totalSteps: total, history: [], evals: [] };
    const model = await this.initialModel();
    if ('problems' in model) return { ...outcome, status: 'diverged', message: model.problems.join('\n') };
    const emitted = await writeProgram(this.programDir, inputs.objective, inputs.analysis, inputs.sourceFile);
    const stopFile = join(this.programDir, 'stop');
    await rm(stopFile, { force: true });
    if (inputs.resumeFrom !== undefined) {
      const state = JSON.parse(await readFile(join(inputs.resumeFrom, 'state.json'), 'utf8')) as { step: number };
      await runDir.truncateAfter(state.step);
    }
    const threads = plan.device === 'cpu' && plan.nproc > 1 ? Math.max(1, Math.floor(cpus().length / plan.nproc)) : undefined;
    const spec = programInput({
      config: inputs.config, emitted, train: inputs.data.train, eval: inputs.data.eval, store: inputs.scores, modelDir: model.dir, modelConfig: model.config,
      tokenizerFiles: inputs.tokenizerFiles, padId: inputs.tokenizer.padId, device: plan.device, threads, runDir: runDir.path, stopFile,
      resumeFrom: inputs.resumeFrom,
      ...(needs !== undefined ? { onPolicy: { needs, prompts: inputs.prompts ?? [], decode: this.table!, eosId: inputs.tokenizer.eosId, cwd: process.cwd() } } : {}),
    });
    const specFile = join(this.programDir, 'input.json');
    await writeFile(specFile, JSON.stringify(spec));
    await this.recordEngine();

    const script = join(this.programDir, TRAIN_SCRIPT);
    const children = await launch(plan, script, specFile, this.programDir);
    const stderrTail: string[] = [];
    let done: { status?: string; step?: number; last_checkpoint?: string; final_dir?: string; message?: string } | undefined;
    let stopRequested = false;
    // Rank 0 reports; the other ranks' stdout is only passed on as log lines.
    children.forEach((child, rank) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (!line.startsWith('@sftgoc ')) {
          if (line.trim() !== '') inputs.log(plan.nproc > 1 ? `[rank ${rank}] ${line}` : line);
          return;
        }
        if (rank !== 0) return;
        const e = JSON.parse(line.slice(8)) as { event: string; metrics?: unknown; text?: string; total?: number; step?: number } & Record<string, unknown>;
        if (e.event === 'start') inputs.reporter.start(e.total!, e.step!);
        else if (e.event === 'note') inputs.reporter.note(e.text!);
        else if (e.event === 'eval') {
          outcome.evals.push(e.metrics as EvalMetrics);
          inputs.reporter.eval(e.metrics as EvalMetrics);
        } else if (e.event === 'step') {
          const m = e.metrics as StepMetrics;
          outcome.history.push(m);
          inputs.reporter.step(m);
          if (!stopRequested && m.step < total && inputs.shouldStop(m.step)) {
            stopRequested = true;
            void writeFile(stopFile, 'stop\n');
          }
        } else if (e.event === 'done') done = e as typeof done;
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        stderrTail.push(chunk.toString('utf8'));
        while (stderrTail.length > 200) stderrTail.shift();
      });
    });
    // If sftgoc itself ends, or one rank fails (the others would wait on it), the process groups go too.
    const killAll = () => {
      for (const child of children) {
        try {
          process.kill(-child.pid!, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    };
    process.on('exit', killAll);
    const codes = await Promise.all(children.map((child) => new Promise<number>((resolve) => child.on('close', (c, signal) => {
      const code = c ?? (signal ? 128 : 1);
      if (code !== 0 && code !== 130 && code !== 3) killAll();
      resolve(code);
    }))));
    process.off('exit', killAll);
    const code = codes.find((c) => c !== 0 && c !== 130 && c !== 3) ?? codes[0]!;
    inputs.reporter.stop();
    outcome.step = done?.step ?? outcome.history.at(-1)?.step ?? 0;
    if (done?.last_checkpoint !== undefined) outcome.lastCheckpoint = done.last_checkpoint;
    if (done?.final_dir !== undefined) outcome.finalDir = done.final_dir;
    if (done === undefined || (code !== 0 && code !== 130 && code !== 3)) {
      const tail = stderrTail.join('').trim().split('\n').slice(-15).join('\n');
      return { ...outcome, status: 'diverged', message: `the torch program exited with code ${code}${tail ? `:\n${tail}` : ''}` };
    }
    outcome.status = done.status as TrainOutcome['status'];
    if (done.message !== undefined) outcome.message = done.message;
    // The same line as the tfjs trainer's, so that either engine's hint continues the run as printed.
    if (outcome.status === 'interrupted') inputs.reporter.note(`interrupted at step ${outcome.step}${outcome.lastCheckpoint ? `; saved ${outcome.lastCheckpoint}; continue with: ${resumeCommand(runDir.path)}` : ''}`);
    return outcome;
  }

  /** config.json's `engine` entry: which Python and torch ran, where, with how many processes. */
  private async recordEngine(): Promise<void> {
    const file = join(this.inputs.runDir!.path, 'config.json');
    if (!existsSync(file)) return;
    const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const { env, device, nproc } = this.plan;
    config.engine = {
      name: 'torch', python: env.python, python_version: env.pythonVersion, torch: env.torchVersion, device, world_size: nproc,
      program: this.programDir,
    };
    await writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`);
  }

  async evaluate(): Promise<EvalMetrics | undefined> {
    throw new Error('the torch engine evaluates inside its program (eval.jsonl); use `sftgoc eval` on the run directory');
  }

  async save(): Promise<void> {
    throw new Error('the torch engine saves inside its program (checkpoints/, final/)');
  }

  dispose(): void {}
}

