// The seam between a compiled objective and the thing that trains with it. The pipeline
// (src/pipeline.ts) compiles and analyses the objective, resolves the run's settings, loads the
// tokenizer and the data, runs the groupers' precompute pass, and then hands all of it to an
// Engine. Two engines implement this interface:
//
//   tfjs   (src/engine/tfjs/)  in process: TensorFlow.js on the embedded backend. Its `train` is
//                              the loop of src/train/trainer.ts; `evaluate` and `save` work on
//                              the weights in memory.
//   torch  (src/engine/torch/) out of process: a generated PyTorch program run by python or
//                              its own launcher. It is driven per whole run: `train` writes the program and
//                              its inputs, starts the child, follows its metrics and returns the
//                              outcome; it has no per-update `step`.
//
// Types only here (no TensorFlow.js, no child processes), so `check` and `compile` can name engines
// without loading one. Problems a user can fix come back as messages, never thrown.
import type { Analysis } from '../analysis/index.js';
import type { DecodeProgress, DecodeRequest, DecodedRow } from '../generate/types.js';
import type { DatasetStats, Sample } from '../data/types.js';
import type { PromptRecord } from '../data/prompts.js';
import type { ScoreStore } from '../groupers/store.js';
import type { Objective } from '../ir/nodes.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { RunConfig } from '../train/config.js';
import type { Reporter } from '../train/reporter.js';
import type { RunDirectory } from '../train/run-dir.js';
import type { EvalMetrics } from '../train/metrics.js';
import type { TrainOutcome } from '../train/outcome.js';

/** The engines `run --engine` accepts. */
export type EngineName = 'tfjs' | 'torch';

/** Options of an out-of-process engine (`run --python --nproc --device`); the tfjs engine ignores them. */
export interface EngineOptions {
  /** The Python with torch (`--python`; else SFTGOC_PYTHON, python3, /usr/bin/python3). */
  python?: string;
  /** Processes (torchrun --nproc_per_node); 1 by default. */
  nproc?: number;
  /** `auto` (CUDA when available), `cpu` or `cuda`. */
  device?: 'auto' | 'cpu' | 'cuda';
  /** Several machines (`--nnodes`, `--node-rank`, `--master-addr`, `--master-port`): one sftgoc run per machine. */
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
}

/** Everything an engine is given; the same for every engine. */
export interface EngineInputs {
  /** The compiled, folded, CSE'd objective IR (src/ir/nodes.ts). */
  objective: Objective;
  /** The single analysis of that IR: scorers, reference, entropy, syncs, DRO state (src/analysis/). */
  analysis: Analysis;
  /**
   * The resolved settings: model (path or preset), reference, data, train (hyperparameters, out,
   * backend). `config.model.path` is the initial model directory (Hugging Face layout) when set;
   * otherwise `config.model.preset` names a built-in architecture initialised from `train.seed`.
   */
  config: RunConfig;
  /** The objective's main file (relative paths in scorer arguments resolve against its folder). */
  sourceFile: string;
  /** Tokenized samples (ids, loss mask, reward/advantage, source position), in file order. */
  data: { train: readonly Sample[]; eval: readonly Sample[]; stats: { train: DatasetStats; eval?: DatasetStats } };
  /**
   * On-policy training (analysis.onPolicy set): the prompts the responses are sampled for, in file
   * order (PromptRecord.index is the position); absent otherwise.
   */
  prompts?: readonly PromptRecord[];
  tokenizer: Tokenizer;
  /** The tokenizer's files, copied next to the weights in every checkpoint and in final/. */
  tokenizerFiles: readonly string[];
  /**
   * The precomputed per-token values the objective reads (static scores, reference ce, `per
   * corpus` thresholds), keyed as `analysis.scores` says; absent when the objective reads none.
   */
  scores?: ScoreStore;
  /** The reference model's directory (src/run/reference.ts), when the objective reads ref_ce. */
  referenceDir?: string;
  /** Where metrics.jsonl, eval.jsonl, checkpoints/ and final/ go; absent in tests (nothing written). */
  runDir?: RunDirectory;
  /** A checkpoint directory to continue from (`--resume`). */
  resumeFrom?: string;
  /** Progress lines and notices for people. */
  reporter: Reporter;
  /** One-off lines (what was loaded, cache hits). */
  log: (line: string) => void;
  /** Asked after every update (Ctrl-C, SIGTERM, tests); true stops with a checkpoint. */
  shouldStop: (stepsDone: number) => boolean;
  /** Engine-specific options (the torch engine's python, processes and device). */
  options?: EngineOptions;
}

export type { TrainOutcome, TrainStatus } from '../train/outcome.js';

/** An engine with its inputs loaded: the model, the optimizer, the lowered objective. */
export interface PreparedRun {
  /** The whole run: resume, updates, evaluations, checkpoints, final/. Every engine has it. */
  train(): Promise<TrainOutcome>;
  /** Held-out evaluation of the current weights on `data.eval` (the same record as eval.jsonl). */
  evaluate(): Promise<EvalMetrics | undefined>;
  /** Writes the current weights and the tokenizer files to `dir` (Hugging Face layout). */
  save(dir: string): Promise<void>;
  /** Releases the model and optimizer memory (or the child process). */
  dispose(): void;
  /**
   * What this engine adds to the run's config.json, which the pipeline writes once (the engine never
   * rewrites it): an `engine` entry (the torch engine: Python, torch, device, processes, BLAS kernels)
   * and the parts of the `train` block that the command line changed (engine, nproc, device).
   */
  readonly record: EngineRecord;
}

/** An engine's entries of config.json (see PreparedRun.record). */
export interface EngineRecord {
  engine?: Record<string, unknown>;
  train?: Record<string, unknown>;
}

export type PrepareResult = { ok: true; run: PreparedRun } | { ok: false; problems: string[] };

export interface Engine {
  readonly name: EngineName;
  /**
   * Checks that the engine can run this objective with these settings (a missing python, an
   * objective it cannot lower), loads the model and returns the run. Problems are messages naming
   * the file or setting at fault; the caller reports them as bad input (exit 1).
   */
  prepare(inputs: EngineInputs): Promise<PrepareResult>;
  /**
   * What would stop this engine before anything is loaded (a missing Python, no CUDA device), so
   * the run fails at once instead of after the data and the precompute pass. Empty when it can start.
   */
  preflight?(options: EngineOptions | undefined): string[];
  /**
   * Samples continuations of token-id prompts with a key/value cache (src/generate/types.ts fixes
   * the sampling rule both engines follow). Problems a user can fix (a model that does not load, no
   * Python) come back as messages; `backend` is the tfjs backend request, ignored by torch.
   */
  decode(request: DecodeRequest, options: EngineOptions & { backend?: string }, progress?: DecodeProgress): Promise<DecodeResult>;
}

export type DecodeResult = { ok: true; rows: DecodedRow[]; notes: string[] } | { ok: false; problems: string[] };
