// The training loop: plan, optional resume, updates, evaluations, checkpoints, final model. The
// per-update arithmetic is in step.ts; this file decides when things happen and what is written.
import * as tf from '@tensorflow/tfjs';
import { copyFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Batch, Sample } from '../data/types.js';
import type { CausalLM } from '../model/types.js';
import type { TrainOutcome } from './outcome.js';
import { AdamW } from './adamw.js';
import { writeDirAtomic } from '../util/atomic.js';
import { checkpointDir, loadCheckpoint, saveCheckpoint, saveModelWeights, STATE_VERSION, type SaveModel, type TrainState } from './checkpoint.js';
import { makeBatches } from '../data/batch.js';
import { realTokens } from './collate.js';
import type { TrainSettings } from './config.js';
import { evaluate, type EvalResult } from './evaluate.js';
import type { EvalMetrics, StepMetrics } from './metrics.js';
import type { StepContext, StepObjective } from './objective.js';
import { planSteps } from './plan.js';
import { silentReporter, type Reporter } from './reporter.js';
import { resumeCommand, type RunDirectory } from './run-dir.js';
import { learningRate } from './schedule.js';
import { trainStep } from './step.js';
import type { PromptRecord } from '../data/prompts.js';
import { stepPromptPositions, type Sampler } from '../onpolicy/step.js';

export type TrainSettingsUsed = Pick<
  TrainSettings,
  'epochs' | 'steps' | 'batch' | 'gradAccum' | 'lr' | 'lrSchedule' | 'weightDecay' | 'eps' | 'betas' | 'clipGrad' | 'seed' | 'evalEvery' | 'saveEvery'
>;

export interface TrainerOptions {
  model: CausalLM;
  objective: StepObjective;
  train: readonly Sample[];
  eval: readonly Sample[];
  padId: number;
  settings: TrainSettingsUsed;
  /** Where metrics, checkpoints and final/ go; without one nothing is written (tests). */
  runDir?: RunDirectory;
  /** Writes model.safetensors and config.json; defaults to the float32 writer of checkpoint.ts. */
  saveModel?: SaveModel;
  /** Copied into every checkpoint and final/. */
  tokenizerFiles?: readonly string[];
  reporter?: Reporter;
  /** Asked after every update (Ctrl-C sets it); true stops with a checkpoint. */
  shouldStop?: (stepsDone: number) => boolean;
  /** A checkpoint directory to continue from. */
  resumeFrom?: string;
  /**
   * On-policy training (src/language/on-policy.ts): each update's samples are sampled from the model
   * for a batch of these prompts, instead of coming from `train` (which is then empty).
   */
  onPolicy?: { prompts: readonly PromptRecord[]; sampler: Sampler };
}

export type { TrainOutcome, TrainStatus } from './outcome.js';

/** Thrown only for a checkpoint that cannot be resumed; the caller reports it as bad input. */
export class ResumeError extends Error {}

/** Thrown for inputs the trainer cannot start on (no training samples); reported as bad input. */
export class TrainInputError extends Error {}

/** Lets signal handlers (SIGINT) run between the synchronous updates. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function train(options: TrainerOptions): Promise<TrainOutcome> {
  const { model, objective, settings } = options;
  const reporter = options.reporter ?? silentReporter;
  const saveModel = options.saveModel ?? saveModelWeights;
  const tokenizerFiles = options.tokenizerFiles ?? [];
  const onPolicy = options.onPolicy;
  // On-policy, an update takes `batch` prompts (grad_accum splits their batch·n samples), so an
  // epoch is ceil(prompts / batch) updates and `microBatch` counts prompt batches.
  const trainCount = onPolicy === undefined ? options.train.length : onPolicy.prompts.length;
  const plan = planSteps(trainCount, onPolicy === undefined ? settings : { ...settings, gradAccum: 1 });
  const totalSteps = plan.totalSteps;
  if (trainCount === 0) throw new TrainInputError(onPolicy === undefined ? 'no training samples' : 'no prompts to sample responses for');
  const optimizer = new AdamW(model.params, { betas: settings.betas, eps: settings.eps, weightDecay: settings.weightDecay });
  const layout = { batch: settings.batch, gradAccum: settings.gradAccum, trainSamples: trainCount };
  const evalBatches = makeBatches(options.eval, { batchSize: settings.batch, seed: 0, epoch: 0, padId: options.padId, shuffle: false });
  // An epoch's micro-batches are makeBatches' seeded shuffle of (seed, epoch): a resumed run needs
  // only (epoch, micro-batch) to replay the same data, and `groups` sees the same batches.
  const epochBatches = (e: number) => makeBatches(options.train, { batchSize: settings.batch, seed: settings.seed, epoch: e, padId: options.padId });

  let step = 0;
  let epoch = 0;
  let micro = 0;
  let elapsedBefore = 0;
  let tokensSeen = 0;
  const outcome: TrainOutcome = { status: 'completed', step: 0, totalSteps, history: [], evals: [] };

  try {
    await options.runDir?.ensure();
    if (options.resumeFrom !== undefined) {
      const loaded = await loadCheckpoint(options.resumeFrom, model, optimizer);
      if (!('state' in loaded) || loaded.problems.length > 0) throw new ResumeError(`cannot resume from ${options.resumeFrom}:\n  ${loaded.problems.join('\n  ')}`);
      const s = loaded.state;
      const mismatch = (Object.keys(layout) as Array<keyof typeof layout>).filter((k) => s.layout[k] !== layout[k]);
      // The total may change (train.steps extends a run; the pipeline has checked and recorded it);
      // the data layout and seed may not, or the resumed run would replay other data.
      if (mismatch.length > 0 || s.rng.seed !== settings.seed) {
        const what = [...mismatch.map((k) => `${k} ${s.layout[k]} → ${layout[k]}`), ...(s.rng.seed !== settings.seed ? [`seed ${s.rng.seed} → ${settings.seed}`] : [])];
        throw new ResumeError(`cannot resume from ${options.resumeFrom}: the run's settings changed (${what.join(', ')}); a resume must replay the same data`);
      }
      if (s.objective !== undefined && objective.setState !== undefined) {
        const problems = objective.setState(s.objective);
        if (problems.length > 0) throw new ResumeError(`cannot resume from ${options.resumeFrom}: objective state: ${problems.join('; ')}`);
      }
      ({ step, epoch, microBatch: micro } = s);
      elapsedBefore = s.elapsedS;
      tokensSeen = s.tokensSeen;
      await options.runDir?.truncateAfter(step);
      if (step >= totalSteps) {
        // The run had finished (its last checkpoint is the final step): nothing to redo or re-append.
        reporter.note(`${options.resumeFrom} is the end of the run (step ${step} of ${totalSteps}): nothing left to train`);
        outcome.step = step;
        outcome.lastCheckpoint = options.resumeFrom;
        if (options.runDir !== undefined) outcome.finalDir = options.runDir.finalDir;
        return outcome;
      }
    }

    // Static scorers and reference ce are computed once, before the first update (and again on a
    // resume: their cache under cache/ makes that cheap).
    await objective.prepare?.({ train: options.train, eval: options.eval, ...(options.runDir ? { cacheDir: options.runDir.cacheDir } : {}) });

    const started = performance.now();
    const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;
    const epochAt = () => epoch + micro / plan.microBatchesPerEpoch;
    const state = (): TrainState => ({
      version: STATE_VERSION, step, totalSteps, epoch, microBatch: micro, rng: { seed: settings.seed, epoch }, layout,
      objective: objective.getState?.(), elapsedS: elapsed(), tokensSeen,
    });
    const checkpoint = async (): Promise<string | undefined> => {
      if (options.runDir === undefined) return undefined;
      const dir = checkpointDir(options.runDir.path, step);
      await saveCheckpoint(dir, { model, optimizer, state: state(), saveModel, tokenizerFiles });
      outcome.lastCheckpoint = dir;
      return dir;
    };
    const runEval = async (): Promise<EvalResult | undefined> => {
      if (evalBatches.length === 0) return undefined;
      const r = evaluate(model, objective, evalBatches, { step, totalSteps });
      const record: EvalMetrics = { step, epoch: epochAt(), loss: r.loss, ce: r.ce, perplexity: r.perplexity, tokens: r.tokens, groups: r.groups, worst_group: r.worstGroup };
      outcome.evals.push(record);
      await options.runDir?.appendEval(record);
      reporter.eval(record);
      return r;
    };

    // The held-out loss before any update, so every run's eval curve starts from the base model.
    if (step === 0 && settings.evalEvery > 0) await runEval();
    reporter.start(totalSteps, step);
    let current = epochBatches(epoch);
    while (step < totalSteps) {
      if (micro >= plan.microBatchesPerEpoch) {
        epoch += 1;
        micro = 0;
        current = epochBatches(epoch);
      }
      let batches: Batch[];
      let rollout: Extract<Awaited<ReturnType<Sampler['rollout']>>, { ok: true }> | undefined;
      if (onPolicy === undefined) {
        batches = current.slice(micro, Math.min(micro + settings.gradAccum, plan.microBatchesPerEpoch));
      } else {
        const positions = stepPromptPositions(onPolicy.prompts.length, settings.batch, settings.seed, epoch, micro);
        const r = await onPolicy.sampler.rollout(step, positions.map((i) => onPolicy.prompts[i]!));
        if (!r.ok) {
          // Nothing of this step was applied: the state after `step` updates is saved, so
          // `run --resume` redoes this step (the same prompts and streams) once the reward is fixed.
          outcome.status = 'diverged';
          outcome.message = `step ${step + 1}: ${r.message}`;
          reporter.note(outcome.message);
          const dir = await checkpoint();
          if (dir !== undefined) reporter.note(`saved checkpoint ${dir}; continue with: ${resumeCommand(options.runDir!.path)}`);
          break;
        }
        rollout = r;
        const perMicro = Math.ceil(r.samples.length / settings.gradAccum);
        batches = makeBatches(r.samples, { batchSize: perMicro, seed: 0, epoch: 0, padId: options.padId, shuffle: false });
      }
      const lr = learningRate(settings.lr, settings.lrSchedule, step, totalSteps);
      const context: StepContext = { step, totalSteps, training: true, microBatch: 0, microBatches: batches.length };
      const params = objective.paramValues?.(context) ?? {};
      const t0 = performance.now();
      let result: ReturnType<typeof trainStep>;
      try {
        result = trainStep({ model, objective, optimizer, microBatches: batches, step, totalSteps, lr, clipGrad: settings.clipGrad });
      } catch (e) {
        if (!isOutOfMemory(e)) throw e;
        // CLI.md: out of memory is a training failure (exit 3) after saving what can be saved, which
        // is the state before this update unless the update itself was cut off half-way.
        outcome.status = 'diverged';
        outcome.message = `out of memory at step ${step + 1} (${(e as Error).message.split('\n')[0]}); lower train.batch or data.max_len, or raise train.grad_accum`;
        reporter.note(outcome.message);
        if (!optimizer.torn) {
          const dir = await checkpoint().catch(() => undefined);
          if (dir !== undefined) reporter.note(`saved checkpoint ${dir}`);
        }
        break;
      }
      const seconds = Math.max(1e-9, (performance.now() - t0) / 1000);
      if (!result.finite) {
        // The update was not applied: the weights are still those after `step` updates, worth keeping.
        outcome.status = 'diverged';
        outcome.message = `non-finite ${Number.isFinite(result.loss) ? 'gradient norm' : `loss (${result.loss})`} at step ${step + 1}`;
        reporter.note(`${outcome.message}; saving the last good state`);
        const dir = await checkpoint();
        if (dir !== undefined) reporter.note(`saved checkpoint ${dir}`);
        break;
      }
      const tokens = batches.reduce((n, b) => n + realTokens(b), 0);
      tokensSeen += tokens;
      step += 1;
      micro += onPolicy === undefined ? batches.length : 1;
      const metrics: StepMetrics = {
        step, epoch: epochAt(), lr, params, loss: result.loss, ce: result.ce, groups: result.groups,
        worst_group: result.worstGroup, tokens_per_s: tokens / seconds, elapsed_s: elapsed(),
        ...(rollout === undefined ? {} : { reward_mean: rollout.reward.mean, reward_std: rollout.reward.std, sample_s: rollout.sampleSeconds, reward_s: rollout.rewardSeconds, update_s: seconds }),
      };
      outcome.history.push(metrics);
      if (rollout !== undefined) await options.runDir?.appendRollouts(rollout.records);
      await options.runDir?.appendMetrics(metrics);
      reporter.step(metrics);
      if (settings.evalEvery > 0 && step % settings.evalEvery === 0 && step < totalSteps) await runEval();
      if (settings.saveEvery > 0 && step % settings.saveEvery === 0 && step < totalSteps) await checkpoint();
      await yieldToEventLoop();
      if (step < totalSteps && options.shouldStop?.(step)) {
        outcome.status = 'interrupted';
        const dir = await checkpoint();
        reporter.note(`interrupted at step ${step}${dir ? `; saved ${dir}; continue with: ${resumeCommand(options.runDir!.path)}` : ''}`);
        break;
      }
    }
    outcome.step = step;
    if (outcome.status === 'completed') {
      await runEval();
      await checkpoint();
      if (options.runDir !== undefined) {
        const finalDir = options.runDir.finalDir;
        await writeDirAtomic(finalDir, async (dir) => {
          await saveModel(model, dir);
          for (const file of tokenizerFiles) await copyFile(file, join(dir, basename(file)));
        });
        outcome.finalDir = finalDir;
      }
    }
    return outcome;
  } finally {
    reporter.stop();
    optimizer.dispose();
  }
}

/** tfjs and the wasm runtime report exhausted memory in several ways; all of them are a RangeError or say so. */
export function isOutOfMemory(e: unknown): boolean {
  if (e instanceof RangeError) return true;
  const message = e instanceof Error ? e.message : String(e);
  return /out of memory|\bOOM\b|allocation failed|Cannot allocate|failed to allocate/i.test(message);
}

/** Live tensors, for the flat-memory check and for debugging leaks. */
export function liveTensors(): number {
  return tf.memory().numTensors;
}
