// A compiled objective (src/ir/nodes.ts) lowered onto the trainer's StepObjective. Per micro-batch:
//   1. the loss tokens are gathered into one compact list (loss-tokens.ts);
//   2. the fused head computes ce (and the entropy, only when the objective reads it) for those N
//      positions alone, from the hidden states and the output embedding, never the full logits;
//   3. the host gets the per-token inputs the masks need (static scores and ref_ce from the
//      ScoreSource; ce/entropy read back, detached, only when a selector reads them) and evaluates
//      every mask with the reference evaluator's selector code; masks that read nothing that
//      changes between steps are kept per Batch object and not evaluated again;
//   4. the loss graph runs on tensors (tensor-graph.ts) and per-group metrics are read off it.
import * as tf from '@tensorflow/tfjs';
import { tokenStats } from '../head/fused-ce.js';
import type { Objective } from '../ir/nodes.js';
import type { EvalInputs } from '../ir/eval-inputs.js';
import { HostValues } from '../ir/host-values.js';
import type { CausalLM } from '../model/types.js';
import type { BatchTensors, GroupValue, ObjectiveResult, PrepareContext, StepContext, StepObjective } from '../train/objective.js';
import { analyzeObjective, groupNamesOf, type ObjectiveAnalysis } from '../analysis/index.js';
import { DEFAULT_HEAD_CHUNK } from '../head/chunk-size.js';

import { DroState } from './dro-state.js';
import { evaluateHostMasks, execute, type HostMasks } from './execute.js';
import type { Batch } from '../data/types.js';
import { lossTokensOf, tokenTexts, type LossTokens } from './loss-tokens.js';
import type { ScoreNeeds, ScoreSource } from './score-source.js';

export interface LowerOptions {
  /** Static scores, reference ce and corpus thresholds; required when the objective reads any. */
  scores?: ScoreSource;
  headChunk?: number;
  /** The objective's analysis when the caller already has it (the pipeline does). */
  analysis?: ObjectiveAnalysis;
}

export interface LoweredObjective extends StepObjective {
  readonly analysis: ObjectiveAnalysis;
  readonly needs: ScoreNeeds;
  prepareScores(context: PrepareContext): Promise<string[]>;
}

export type LowerResult = { ok: true; objective: LoweredObjective } | { ok: false; problems: string[] };

export function lowerObjective(o: Objective, options: LowerOptions = {}): LowerResult {
  const analysis = options.analysis ?? analyzeObjective(o);
  const needs = analysis.scores;
  const problems: string[] = [...analysis.problems];
  if (options.scores === undefined) {
    for (const key of needs.scorers.keys()) problems.push(`${o.file}: objective '${o.name}' needs the static scorer ${key}, and no score source is available`);
    if (needs.refCe) problems.push(`${o.file}: objective '${o.name}' needs the reference model's ce (ref_ce, excess, excess_loss), and no score source is available`);
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, objective: new CompiledStepObjective(o, analysis, needs, options) };
}

class CompiledStepObjective implements LoweredObjective {
  readonly name: string;
  readonly groupNames: readonly string[];
  private readonly dro: DroState;
  private readonly headChunk: number;
  /** The masks read nothing that changes between steps (no ce/entropy, no clock): cache them per batch. */
  private readonly staticMasks: boolean;
  /** Per Batch object (its samples, tokens and scores never change): loss tokens, host inputs and masks. */
  private readonly hostCache = new WeakMap<Batch, { tokens: LossTokens; host: EvalInputs; masks: HostMasks }>();

  constructor(
    private readonly o: Objective,
    readonly analysis: ObjectiveAnalysis,
    readonly needs: ScoreNeeds,
    private readonly options: LowerOptions,
  ) {
    this.name = o.name;
    this.groupNames = groupNamesOf(o);
    this.dro = new DroState(analysis.groupReductions.filter((g) => g.fn === 'dro').map((g) => g.terms.length));
    this.headChunk = options.headChunk ?? DEFAULT_HEAD_CHUNK;
    this.staticMasks = !analysis.host.ce && !analysis.host.entropy
      && !analysis.hostOrder.some((n) => n.op === 'step' || n.op === 'progress' || n.op === 'schedule');
    if (this.dro.count > 0) {
      this.getState = () => this.dro.snapshot();
      this.setState = (state: unknown) => this.dro.restore(state);
    }
  }

  getState?: () => unknown;
  setState?: (state: unknown) => string[];

  /** The precompute pass of the score source; problems (a missing column, no reference model) as messages. */
  async prepareScores(context: PrepareContext): Promise<string[]> {
    return (await this.options.scores?.prepare?.(context, this.needs)) ?? [];
  }

  /** StepObjective's contract has no error channel: problems are thrown as one message here. */
  async prepare(context: PrepareContext): Promise<void> {
    const problems = await this.prepareScores(context);
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }

  paramValues(context: StepContext): Record<string, number> {
    const clock: EvalInputs = { ce: [], sampleOf: [], step: context.step, totalSteps: context.totalSteps };
    const values = new HostValues(this.o, clock);
    return Object.fromEntries(this.o.params.map((p) => [p.name, values.scalar(p.value)]));
  }

  computeLoss(model: CausalLM, batch: BatchTensors, context: StepContext): ObjectiveResult {
    const cached = this.staticMasks ? this.hostCache.get(batch.batch) : undefined;
    const tokens = cached?.tokens ?? lossTokensOf(batch.batch);
    const { ce, entropy } = this.head(model, batch, tokens);
    if (tokens.n === 0) {
      // No loss tokens: a zero loss still connected to the weights, and empty groups.
      const zero = tf.mul(tf.sum(ce), 0) as tf.Scalar;
      return { loss: zero, ce: zero, groups: new Map(this.groupNames.map((n) => [n, { loss: tf.scalar(0), tokens: 0 }])) };
    }
    let host: EvalInputs;
    let hostMasks: HostMasks | undefined;
    if (cached !== undefined) {
      // Only the clock differs from the cached inputs, and no mask reads it.
      host = { ...cached.host, step: context.step, totalSteps: context.totalSteps };
      hostMasks = cached.masks;
    } else {
      host = this.hostInputs(batch, tokens, ce, entropy, context);
      if (this.staticMasks) {
        hostMasks = evaluateHostMasks(this.o, this.analysis, host);
        this.hostCache.set(batch.batch, { tokens, host, masks: hostMasks });
      }
    }
    const run = execute(this.o, this.analysis, {
      n: tokens.n, ce, entropy, host, dro: this.dro, droUpdate: context.training && context.microBatch === 0, hostMasks,
    });
    const groups = new Map<string, GroupValue>(run.groups.map((g, i) => [this.groupNames[i]!, g]));
    return { loss: run.loss, ce: run.ce, groups };
  }

  /** ce (and entropy) of the loss tokens only: their hidden rows are gathered before the head. */
  private head(model: CausalLM, batch: BatchTensors, tokens: LossTokens): { ce: tf.Tensor1D; entropy?: tf.Tensor1D } {
    const [b, t] = batch.inputIds.shape;
    const hidden = model.hidden(batch.inputIds);
    const flat = tf.reshape(hidden, [b * t, hidden.shape[2]]) as tf.Tensor2D;
    const rows = tokens.n === 0 ? Int32Array.of(0) : tokens.flat;
    const targets = tokens.n === 0 ? Int32Array.of(0) : tokens.targets;
    const picked = tf.gather(flat, tf.tensor1d(rows, 'int32')) as tf.Tensor2D;
    return tokenStats(picked, model.outputEmbedding(), tf.tensor1d(targets, 'int32'), { chunkSize: this.headChunk, entropy: this.analysis.headEntropy });
  }

  private hostInputs(batch: BatchTensors, tokens: LossTokens, ce: tf.Tensor1D, entropy: tf.Tensor1D | undefined, context: StepContext): EvalInputs {
    const samples = batch.batch.samples;
    const a = this.analysis;
    const scores = this.options.scores?.batchScores({ samples, tokens, needs: this.needs, text: a.host.text });
    const host: EvalInputs = {
      sampleOf: tokens.row,
      // Read back (a device sync) only when a selector reads the model's own values.
      ce: a.host.ce ? Array.from(ce.dataSync()) : new Array<number>(tokens.n).fill(0),
      entropy: a.host.entropy && entropy !== undefined ? Array.from(entropy.dataSync()) : undefined,
      refCe: scores?.refCe,
      reward: a.host.reward || a.device.reward ? tokens.row.map((r) => samples[r]!.reward) : undefined,
      advantage: a.host.advantage || a.device.advantage ? tokens.row.map((r) => samples[r]!.advantage) : undefined,
      scores: scores?.scores,
      text: a.host.text ? (scores?.text ?? tokenTexts(batch.batch, tokens)) : undefined,
      corpusThresholds: scores?.corpusThresholds,
      step: context.step,
      totalSteps: context.totalSteps,
    };
    return host;
  }
}
