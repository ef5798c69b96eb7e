// The PyTorch engine: the objective emitted as Python (emit-objective.ts) with the runtime files
// (python/), the run's inputs exported once (export.ts: tokenized samples, static scores, reference
// ce, epoch orders), and the generated program run out of process by the found Python, as
// --nproc processes with torch.distributed's environment when --nproc > 1. The child writes metrics.jsonl, eval.jsonl, checkpoints and final/ in
// the tfjs engine's layout and reports each step on stdout (`@sftgoc {json}` lines), which this
// side turns into the reporter's progress. Ctrl-C: sftgoc asks the child to stop through a stop
// file (the children run in their own process groups, so no rank is torn down half-way); the
// child finishes the update, saves a checkpoint and exits 130.
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseConfig } from '../../model/config.js';
import { resumeCommand } from '../../train/run-dir.js';
import { planSteps } from '../../train/plan.js';
import type { EvalMetrics, StepMetrics } from '../../train/metrics.js';
import type { Engine, EngineInputs, EngineRecord, PreparedRun, PrepareResult, TrainOutcome } from '../types.js';
import type { ChildBlasEnv } from '../../backend/blas/child-env.js';
import { programThreads, torchChildEnv } from './thread-split.js';
import { checkDecodeTable, decodeTable, type DecodeTable } from './decode-table.js';
import { emitObjective } from './emit-objective.js';
import { programInput, stepSettings } from './export.js';
import { torchDecode } from './generate.js';
import { writeProgram, TRAIN_SCRIPT } from './program.js';
import { bundleInputs } from './bundle.js';
import { findPython, type PythonEnv } from './python-env.js';
import { culprit, failureText, logFile, logTail, Workers, type WorkerEnd, type WorkerSpec } from './supervise.js';
import { modelFitProblem } from '../../model/fits.js';

export interface TorchPlan {
  env: PythonEnv;
  device: 'cpu' | 'cuda';
  /** Processes on this machine. */
  nproc: number;
  /** Several machines (--nnodes > 1): how many, this one's rank, and the first one's address. */
  nodes?: { count: number; rank: number; masterAddr: string; masterPort: number };
  /** train.deterministic (default: on for CPU, off for CUDA). */
  deterministic?: boolean;
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
  const nodes = nodesOf(options);
  if (!nodes.ok) return nodes;
  return { ok: true, plan: { env: found.env, device, nproc, ...(nodes.nodes !== undefined ? { nodes: nodes.nodes } : {}) } };
}

/** --nnodes, --node-rank, --master-addr, --master-port: all four for several machines, none for one. */
function nodesOf(options: EngineInputs['options'] = {}): { ok: true; nodes?: TorchPlan['nodes'] } | { ok: false; problems: string[] } {
  const { nnodes, nodeRank, masterAddr, masterPort } = options;
  if (nnodes === undefined || nnodes === 1) {
    const stray = [nodeRank !== undefined && nodeRank !== 0 ? '--node-rank' : '', masterAddr !== undefined ? '--master-addr' : '', masterPort !== undefined ? '--master-port' : ''].filter((x) => x !== '');
    return stray.length === 0 ? { ok: true } : { ok: false, problems: [`${stray.join(', ')}: only with --nnodes N > 1 (several machines)`] };
  }
  const problems: string[] = [];
  if (!Number.isInteger(nnodes) || nnodes < 1 || nnodes > 1024) problems.push(`--nnodes ${nnodes}: expected a whole number from 1 to 1024`);
  if (nodeRank === undefined || !Number.isInteger(nodeRank) || nodeRank < 0 || nodeRank >= nnodes) problems.push(`--node-rank: expected this machine's number, 0 to ${nnodes - 1} (0 is the machine at --master-addr)`);
  if (masterAddr === undefined || masterAddr === '') problems.push('--master-addr HOST: the address of machine 0, which every machine reaches');
  if (masterPort === undefined || !Number.isInteger(masterPort) || masterPort < 1 || masterPort > 65535) problems.push('--master-port P: a free TCP port on machine 0 (1 to 65535), the same on every machine');
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, nodes: { count: nnodes, rank: nodeRank!, masterAddr: masterAddr!, masterPort: masterPort! } };
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
    const world = planned.plan.nproc * (planned.plan.nodes?.count ?? 1);
    if (world > 1 && t.gradAccum % world !== 0) {
      inputs.log(`note: train.grad_accum = ${t.gradAccum} micro-batches are dealt to ${world} processes; a multiple of ${world} keeps every process busy`);
    }
    if (planned.plan.device === 'cuda' && planned.plan.nproc > planned.plan.env.gpus) {
      inputs.log(`note: ${planned.plan.nproc} processes share ${planned.plan.env.gpus} GPU(s); they talk through gloo (NCCL needs one GPU per process), for testing rather than speed`);
    }
    planned.plan.deterministic = t.deterministic ?? planned.plan.device === 'cpu';
    if (inputs.resumeFrom !== undefined) problems.push(...resumeProblems(inputs));
    let table: DecodeTable | undefined;
    if (inputs.analysis.onPolicy !== undefined) {
      const checked = onPolicyProblems(inputs);
      problems.push(...checked.problems);
      table = checked.table;
    }
    if (inputs.config.model.path !== undefined) {
      const model = await checkedModelConfig(inputs.config.model.path, inputs);
      if ('problems' in model) problems.push(...model.problems);
    }
    if (problems.length > 0) return { ok: false, problems };
    // The system OpenBLAS's kernel set, checked in this process first, and the thread split (thread-split.ts).
    const { plan } = planned;
    const blas = await torchChildEnv({ ...plan, precision: t.precision });
    return { ok: true, run: new TorchRun(inputs, plan, blas, table) };
  },
};

/**
 * The model folder's config.json, read and checked against the tokenizer and the data (positions,
 * vocabulary): its problems otherwise. prepare() runs it on model.path, so that a model the run
 * cannot use is refused before the run directory gets its config.json; train() again on the
 * folder it trains from.
 */
async function checkedModelConfig(dir: string, inputs: EngineInputs): Promise<{ raw: Record<string, unknown> } | { problems: string[] }> {
  const file = join(dir, 'config.json');
  try {
    const raw = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const parsed = parseConfig(raw, file);
    const needs = inputs.analysis.onPolicy;
    const samples = [...inputs.data.train, ...inputs.data.eval];
    const problem = modelFitProblem(dir, parsed, inputs.tokenizer.vocabSize, samples, needs === undefined ? undefined : { prompts: inputs.prompts ?? [], maxNew: needs.sample.maxNew });
    return problem === undefined ? { raw } : { problems: [problem] };
  } catch (e) {
    return { problems: [(e as Error).message] };
  }
}

/** What an epoch is made of: the training samples, or the prompts when on-policy. */
function epochUnits(inputs: EngineInputs): number {
  return inputs.analysis.onPolicy !== undefined ? inputs.prompts?.length ?? 0 : inputs.data.train.length;
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
 * The workers of this machine: one process, or `nproc` processes with torch.distributed's
 * environment (RANK, WORLD_SIZE, MASTER_ADDR/PORT: what `torchrun` sets; torchrun itself is not
 * used because Debian's torch 1.13 torchrun fails under Python 3.11). Several machines (--nnodes):
 * this machine's ranks are node_rank × nproc … + nproc − 1 and the rendezvous is --master-addr/port.
 */
async function workerSpecs(plan: TorchPlan, blasEnv: NodeJS.ProcessEnv): Promise<WorkerSpec[]> {
  const { nproc, nodes } = plan;
  const base = { ...blasEnv, ...deviceEnv(plan) };
  if (nproc === 1 && nodes === undefined) return [{ rank: 0, env: base }];
  const world = nproc * (nodes?.count ?? 1);
  const nodeRank = nodes?.rank ?? 0;
  const addr = nodes?.masterAddr ?? '127.0.0.1';
  const port = nodes?.masterPort ?? (await freePort());
  return Array.from({ length: nproc }, (_, local) => ({
    rank: nodeRank * nproc + local,
    env: {
      ...base, RANK: String(nodeRank * nproc + local), LOCAL_RANK: String(local), WORLD_SIZE: String(world), LOCAL_WORLD_SIZE: String(nproc),
      GROUP_RANK: String(nodeRank), MASTER_ADDR: addr, MASTER_PORT: String(port),
    },
  }));
}

/**
 * How long a collective waits for a rank that stopped answering before every other rank gives up
 * (SFTGOC_COLLECTIVE_TIMEOUT_S, default 900 s: longer than rank 0 takes to save a large checkpoint
 * while the others wait).
 */
function collectiveTimeout(): number {
  const v = Number(process.env.SFTGOC_COLLECTIVE_TIMEOUT_S);
  return Number.isFinite(v) && v > 0 ? v : 900;
}

/** train.deterministic on CUDA: cuBLAS needs a fixed workspace before its first call. */
function deviceEnv(plan: TorchPlan): NodeJS.ProcessEnv {
  return plan.device === 'cuda' && plan.deterministic ? { CUBLAS_WORKSPACE_CONFIG: process.env.CUBLAS_WORKSPACE_CONFIG ?? ':4096:8' } : {};
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
  readonly record: EngineRecord;

  constructor(
    private readonly inputs: EngineInputs, private readonly plan: TorchPlan, private readonly blas: ChildBlasEnv, private readonly table?: DecodeTable,
  ) {
    this.record = engineRecord(plan, blas, join(inputs.runDir!.path, 'torch'));
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
      const { loadRunModel } = await import('../../train/initial-model.js');
      const { saveModel } = await import('../../model/index.js');
      const loaded = await loadRunModel(config, tokenizer, [...data.train, ...data.eval]);
      if (!loaded.ok) return { problems: loaded.errors };
      dir = join(this.programDir, 'init');
      await saveModel(loaded.model, dir, { tokenIds: { bos: tokenizer.bosId, eos: tokenizer.eosId, pad: tokenizer.padId } });
      loaded.model.dispose();
    }
    const checked = await checkedModelConfig(dir, this.inputs);
    if ('problems' in checked) return checked;
    return { dir, config: { ...checked.raw, torch_dtype: 'float32', ...tokenIds } };
  }

  async train(): Promise<TrainOutcome> {
    const { inputs, plan } = this;
    const runDir = inputs.runDir!;
    const needs = inputs.analysis.onPolicy;
    const total = planSteps(epochUnits(inputs), stepSettings(inputs.config.train, needs !== undefined)).totalSteps;
    const outcome: TrainOutcome = { status: 'completed', step: 0, totalSteps: total, history: [], evals: [] };
    const model = await this.initialModel();
    if ('problems' in model) return { ...outcome, status: 'rejected', message: model.problems.join('\n') };
    const emitted = await writeProgram(this.programDir, inputs.objective, inputs.analysis, inputs.sourceFile);
    const stopFile = join(this.programDir, 'stop');
    await rm(stopFile, { force: true });
    if (inputs.resumeFrom !== undefined) {
      const state = JSON.parse(await readFile(join(inputs.resumeFrom, 'state.json'), 'utf8')) as { step: number };
      await runDir.truncateAfter(state.step);
    }
    const threads = programThreads(plan);
    const spec = programInput({
      config: inputs.config, emitted, train: inputs.data.train, eval: inputs.data.eval, store: inputs.scores, modelDir: model.dir, modelConfig: model.config,
      tokenizerFiles: inputs.tokenizerFiles, padId: inputs.tokenizer.padId, device: plan.device, threads, runDir: runDir.path, stopFile,
      resumeFrom: inputs.resumeFrom,
      ...(needs !== undefined ? { onPolicy: { needs, prompts: inputs.prompts ?? [], decode: this.table!, eosId: inputs.tokenizer.eosId, cwd: process.cwd() } } : {}),
    });
    const bundled = await bundleInputs(this.programDir, {
      ...spec, deterministic: plan.deterministic ?? plan.device === 'cpu', collective_timeout_s: collectiveTimeout(),
    });
    const specFile = join(this.programDir, 'input.json');
    await writeFile(specFile, JSON.stringify(bundled));
    const blas = this.blas;

    const workers = new Workers({
      python: plan.env.python, args: [join(this.programDir, TRAIN_SCRIPT), specFile], cwd: this.programDir,
      logDir: join(runDir.path, 'logs'), workers: await workerSpecs(plan, blas.env),
    });
    let done: { status?: string; step?: number; last_checkpoint?: string; final_dir?: string; message?: string; failed_rank?: number; rank?: number } | undefined;
    let stopRequested = false;
    // The program says `config` once it has loaded the model and joined the process group.
    let loaded = false;
    let lastStep = inputs.resumeFrom !== undefined ? -1 : 0;
    const askStop = () => {
      if (stopRequested || lastStep < 0 || lastStep >= total || !inputs.shouldStop(lastStep)) return;
      stopRequested = true;
      void writeFile(stopFile, 'stop\n');
      workers.stopRequested();
    };
    // A Ctrl-C between step lines (a long update, a hung rank) is seen within a quarter second.
    const poll = setInterval(askStop, 250);
    // The first worker of this machine reports (rank 0 on the first machine); the others' stdout is only passed on as log lines.
    workers.children.forEach((_, index) => workers.lines(index, (line) => {
      if (!line.startsWith('@sftgoc ')) {
        if (line.trim() !== '') inputs.log(workers.children.length > 1 ? `[rank ${index}] ${line}` : line);
        return;
      }
      if (index !== 0) return;
      const e = JSON.parse(line.slice(8)) as { event: string; metrics?: unknown; text?: string; total?: number; step?: number } & Record<string, unknown>;
      if (e.event === 'config') loaded = true;
      else if (e.event === 'start') {
        inputs.reporter.start(e.total!, e.step!);
        lastStep = e.step!;
      } else if (e.event === 'note') inputs.reporter.note(e.text!);
      else if (e.event === 'eval') {
        outcome.evals.push(e.metrics as EvalMetrics);
        inputs.reporter.eval(e.metrics as EvalMetrics);
      } else if (e.event === 'step') {
        const m = e.metrics as StepMetrics;
        outcome.history.push(m);
        inputs.reporter.step(m);
        lastStep = m.step;
        askStop();
      } else if (e.event === 'done') done = e as typeof done;
    }));
    const ends = await workers.done();
    clearInterval(poll);
    inputs.reporter.stop();
    const ended = this.outcomeOf(outcome, ends, done, join(runDir.path, 'logs'), loaded);
    if (ended.status !== 'failed' || loaded) return ended;
    // Failed before it had loaded its inputs (a model file it cannot read, a machine it cannot reach): exit 1, not a training failure.
    return { ...ended, status: 'rejected', message: `the torch program could not start: ${ended.message}` };
  }

  /** How the run ended, from the workers' ends and the first worker's `done` event. */
  private outcomeOf(outcome: TrainOutcome, ends: WorkerEnd[], done: { status?: string; step?: number; last_checkpoint?: string; final_dir?: string; message?: string; failed_rank?: number; rank?: number } | undefined, logDir: string, loaded: boolean): TrainOutcome {
    outcome.step = done?.step ?? outcome.history.at(-1)?.step ?? 0;
    if (done?.last_checkpoint !== undefined) outcome.lastCheckpoint = done.last_checkpoint;
    if (done?.final_dir !== undefined) outcome.finalDir = done.final_dir;
    const during = loaded ? `during step ${outcome.step + 1}` : 'before training started';
    const bad = culprit(ends);
    if (bad !== undefined) {
      // A worker crashed, was killed or hung: never "diverged"; which rank, how, and its own log.
      const also = done?.message !== undefined ? `\n(rank ${done.rank ?? ends[0]!.rank} reported: ${done.message})` : '';
      return { ...outcome, status: 'failed', message: `${failureText(bad, logDir, during)}${also}` };
    }
    if (done === undefined) {
      // Every worker ended as the program decided, but the reporting one said nothing (it failed before its first event).
      const first = ends[0]!;
      return { ...outcome, status: 'failed', message: failureText(first, logDir, 'before training started') };
    }
    outcome.status = done.status as TrainOutcome['status'];
    if (done.message !== undefined) outcome.message = done.message;
    if (done.failed_rank !== undefined && outcome.message !== undefined) {
      const tail = logTail(logDir, done.failed_rank, 8);
      outcome.message += `; rank ${done.failed_rank}'s log is ${logFile(logDir, done.failed_rank)}${tail ? `, ending:\n${tail}` : ''}`;
    }
    // The same line as the tfjs trainer's, so that either engine's hint continues the run as printed.
    if (outcome.status === 'interrupted') this.inputs.reporter.note(`interrupted at step ${outcome.step}${outcome.lastCheckpoint ? `; saved ${outcome.lastCheckpoint}; continue with: ${resumeCommand(this.inputs.runDir!.path)}` : ''}`);
    return outcome;
  }

  async evaluate(): Promise<EvalMetrics | undefined> {
    throw new Error('the torch engine evaluates inside its program (eval.jsonl); use `sftgoc eval` on the run directory');
  }

  async save(): Promise<void> {
    throw new Error('the torch engine saves inside its program (checkpoints/, final/)');
  }

  dispose(): void {}
}

/**
 * config.json's `engine` entry (which Python and torch run, where, with how many processes and which
 * BLAS kernels) and what runs of the train block (--engine, --nproc, --device win over the file).
 */
function engineRecord(plan: TorchPlan, blas: ChildBlasEnv, programDir: string): EngineRecord {
  const { env, device, nproc, nodes, deterministic } = plan;
  return {
    engine: {
      name: 'torch', python: env.python, python_version: env.pythonVersion, torch: env.torchVersion, device, world_size: nproc * (nodes?.count ?? 1),
      program: programDir, blas: blas.note, ...(nodes !== undefined ? { nnodes: nodes.count, node_rank: nodes.rank, master: `${nodes.masterAddr}:${nodes.masterPort}` } : {}),
    },
    train: { engine: 'torch', nproc, device, deterministic: deterministic ?? device === 'cpu' },
  };
}
