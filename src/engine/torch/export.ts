// What the generated program reads (input.json): the run's settings, the initial weights' folder,
// the tokenized samples with each loss token's precomputed values (static scores, reference ce,
// regex masks: computed by sftgoc, never again in Python), the shuffled order of every epoch the run
// touches (makeBatches' seeded shuffle, so both engines see the same micro-batches), and where to
// write. Loss tokens are listed per sample as the positions t whose target t + 1 carries a loss,
// so concatenating a micro-batch's samples gives the tfjs engine's LossTokens order.
import { resolve } from 'node:path';
import { collate, epochOrder } from '../../data/batch.js';
import type { Sample } from '../../data/types.js';
import { lossTokensOf, tokenTexts } from '../../lower/loss-tokens.js';
import { REF_CE_KEY, type ScoreStore } from '../../groupers/store.js';
import type { RunConfig } from '../../train/config.js';
import { planSteps } from '../../train/plan.js';
import type { PromptRecord } from '../../data/prompts.js';
import type { OnPolicyNeeds } from '../../language/on-policy.js';
import type { DecodeTable } from './decode-table.js';
import type { EmittedObjective } from './emit-objective.js';

/** What the program needs to train on-policy (sftgoc_onpolicy.py): the prompts, `sample { }`, the reward, the text of an id. */
export interface OnPolicyInput {
  prompts: Array<{ index: number; text: string; ids: number[]; answer?: string; facts?: string[]; source: { file: string; line: number } }>;
  sample: OnPolicyNeeds['sample'];
  /** A command's `exec` is its path resolved. */
  reward: OnPolicyNeeds['reward'] | (Extract<OnPolicyNeeds['reward'], { kind: 'command' }> & { exec: string });
  decode: DecodeTable;
  eos_id: number;
  /** Where a reward command runs (the directory sftgoc was started in, as on the tfjs engine). */
  cwd: string;
}

export interface ExportedSample {
  ids: number[];
  loss: number[];
  reward: number;
  advantage: number;
  scores: Record<string, number[]>;
  ref_ce?: number[];
  regex: Record<string, boolean[]>;
}

export interface ProgramInput {
  version: 1;
  objective_module: string;
  device: string;
  threads?: number;
  model: { dir: string; config: Record<string, unknown> };
  tokenizer_files: readonly string[];
  pad_id: number;
  train: {
    epochs: number; steps: number; batch: number; grad_accum: number; lr: number; lr_schedule: { kind: string; warmup: number };
    weight_decay: number; eps: number; betas: [number, number]; clip_grad: number; seed: number; eval_every: number; save_every: number;
    /** train.precision: 'bf16' runs the trunk under torch.autocast (bfloat16). */
    precision: 'fp32' | 'bf16';
  };
  total_steps: number;
  micro_batches_per_epoch: number;
  epoch_orders: number[][];
  samples: { train: ExportedSample[]; eval: ExportedSample[] };
  thresholds: Record<string, number>;
  run_dir: string;
  stop_file: string;
  resume_from: string | null;
  /** train.deterministic (bundle time: index.ts). */
  deterministic?: boolean;
  /** Seconds a collective waits for a silent rank (index.ts). */
  collective_timeout_s?: number;
  onpolicy?: OnPolicyInput;
}

/** The positions t (0-based) whose next token carries a loss: what collate() masks in. */
export function lossPositions(s: Sample): number[] {
  const out: number[] = [];
  for (let t = 0; t + 1 < s.ids.length; t++) if (s.lossMask[t + 1]) out.push(t);
  return out;
}

/**
 * Each epoch's shuffled order of the training samples (positions in `train`), for the epochs the run
 * reaches. On-policy, `train` is the prompts and an update takes one batch of them (gradAccum 1).
 */
export function epochOrders<T>(train: readonly T[], settings: { batch: number; gradAccum: number; epochs: number; steps: number; seed: number }): number[][] {
  const plan = planSteps(train.length, settings);
  let epoch = 0;
  let micro = 0;
  for (let step = 0; step < plan.totalSteps; step++) {
    if (micro >= plan.microBatchesPerEpoch) {
      epoch += 1;
      micro = 0;
    }
    micro += Math.min(settings.gradAccum, plan.microBatchesPerEpoch - micro);
  }
  const position = new Map(train.map((s, i) => [s, i] as const));
  return Array.from({ length: epoch + 1 }, (_, e) => epochOrder(train, settings.seed, e).map((s) => position.get(s)!));
}

export function exportSamples(samples: readonly Sample[], emitted: EmittedObjective, store: ScoreStore | undefined): ExportedSample[] {
  const keys = Object.keys(emitted.staticScorers);
  const per = store?.forSamples(samples);
  const texts = emitted.regexPatterns.length > 0 ? store?.texts(samples) : undefined;
  const patterns = emitted.regexPatterns.map((p) => new RegExp(p, 'u'));
  return samples.map((s, row) => {
    const loss = lossPositions(s);
    const pick = (values: ArrayLike<number>) => loss.map((t) => values[t + 1]!);
    const out: ExportedSample = { ids: s.ids, loss, reward: s.reward, advantage: s.advantage, scores: {}, regex: {} };
    for (const key of keys) out.scores[key] = pick(per![key]![row]!);
    if (emitted.needs.refCe) out.ref_ce = pick(per![REF_CE_KEY]![row]!);
    if (patterns.length > 0) {
      // The loss tokens' texts as the tfjs engine reads them: the store's, else the samples' offsets.
      const own = texts === undefined ? tokenTexts(collate([s], 0), lossTokensOf(collate([s], 0))) : loss.map((t) => texts[row]![t + 1] ?? '');
      emitted.regexPatterns.forEach((p, i) => (out.regex[p] = own.map((text) => patterns[i]!.test(text))));
    }
    return out;
  });
}

export interface ExportOptions {
  config: RunConfig;
  emitted: EmittedObjective;
  train: readonly Sample[];
  eval: readonly Sample[];
  store?: ScoreStore;
  modelDir: string;
  modelConfig: Record<string, unknown>;
  tokenizerFiles: readonly string[];
  padId: number;
  device: string;
  threads?: number;
  runDir: string;
  stopFile: string;
  resumeFrom?: string;
  onPolicy?: { needs: OnPolicyNeeds; prompts: readonly PromptRecord[]; decode: DecodeTable; eosId: number; cwd: string };
}

/** The plan's settings: on-policy an update is one batch of prompts, whatever grad_accum (which splits its samples). */
export function stepSettings(t: RunConfig['train'], onPolicy: boolean): RunConfig['train'] {
  return onPolicy ? { ...t, gradAccum: 1 } : t;
}

export function programInput(o: ExportOptions): ProgramInput {
  const t = o.config.train;
  const op = o.onPolicy;
  const units = op?.prompts ?? o.train;
  const plan = planSteps(units.length, stepSettings(t, op !== undefined));
  return {
    version: 1,
    objective_module: 'objective',
    device: o.device,
    ...(o.threads !== undefined ? { threads: o.threads } : {}),
    model: { dir: o.modelDir, config: o.modelConfig },
    tokenizer_files: o.tokenizerFiles,
    pad_id: o.padId,
    train: {
      epochs: t.epochs, steps: t.steps, batch: t.batch, grad_accum: t.gradAccum, lr: t.lr, lr_schedule: { kind: t.lrSchedule.kind, warmup: t.lrSchedule.warmup },
      weight_decay: t.weightDecay, eps: t.eps, betas: t.betas, clip_grad: t.clipGrad, seed: t.seed, eval_every: t.evalEvery, save_every: t.saveEvery,
      precision: t.precision ?? 'fp32',
    },
    total_steps: plan.totalSteps,
    micro_batches_per_epoch: plan.microBatchesPerEpoch,
    epoch_orders: epochOrders<unknown>(units, stepSettings(t, op !== undefined)),
    samples: { train: exportSamples(o.train, o.emitted, o.store), eval: exportSamples(o.eval, o.emitted, o.store) },
    thresholds: { ...(o.store?.corpusThresholds ?? {}) },
    run_dir: o.runDir,
    stop_file: o.stopFile,
    resume_from: o.resumeFrom ?? null,
    ...(op === undefined ? {} : {
      onpolicy: {
        prompts: op.prompts.map((p) => ({
          index: p.index, text: p.text, ids: p.ids, source: p.source, ...(p.answer !== undefined ? { answer: p.answer } : {}), ...(p.facts !== undefined ? { facts: p.facts } : {}),
        })),
        sample: op.needs.sample,
        // The program runs resolved as the tfjs engine runs it (against sftgoc's directory); messages name it as the file does.
        reward: op.needs.reward.kind === 'command' ? { ...op.needs.reward, exec: resolve(op.cwd, op.needs.reward.path) } : op.needs.reward,
        decode: op.decode, eos_id: op.eosId, cwd: op.cwd,
      },
    }),
  };
}
