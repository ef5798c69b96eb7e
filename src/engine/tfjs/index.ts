// The TensorFlow.js engine: the objective lowered onto tensors (src/lower/), the model in process
// (src/model/), the loop of src/train/trainer.ts. The backend (wasm, cpu, BLAS) was chosen by the
// pipeline before the precompute pass, which may run models too.
import { copyFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { makeBatches } from '../../data/batch.js';
import { StoreScoreSource } from '../../lower/groupers-source.js';
import { lowerObjective } from '../../lower/step-objective.js';
import { saveModel } from '../../model/index.js';
import type { CausalLM } from '../../model/types.js';
import { writeDirAtomic } from '../../util/atomic.js';
import { evaluate } from '../../train/evaluate.js';
import type { EvalMetrics } from '../../train/metrics.js';
import { train } from '../../train/trainer.js';
import type { Engine, EngineInputs, EngineRecord, PreparedRun, PrepareResult, TrainOutcome } from '../types.js';
import { tfjsDecode } from './generate.js';
import { loadRunModel } from '../../train/initial-model.js';
import { tfjsSampler } from './rollouts.js';
import { setProductPrecision } from '../../backend/blas/precision.js';

export const tfjsEngine: Engine = {
  name: 'tfjs',
  decode: (request, options, progress) => tfjsDecode(request, options, progress),
  async prepare(inputs: EngineInputs): Promise<PrepareResult> {
    const { objective, analysis, data, tokenizer } = inputs;
    // The pipeline ran the precompute pass (src/pipeline.ts loadInputs): the objective reads its store.
    const scores = inputs.scores === undefined ? undefined : new StoreScoreSource(inputs.scores);
    const lowered = lowerObjective(objective, { analysis, scores });
    if (!lowered.ok) return { ok: false, problems: lowered.problems };
    const sampling = inputs.analysis.onPolicy === undefined ? undefined : { prompts: inputs.prompts ?? [], maxNew: inputs.analysis.onPolicy.sample.maxNew };
    // Before the model loads, so a bf16 run that cannot have its products fails before any work.
    const precision = await setProductPrecision(inputs.config.train.precision ?? 'fp32');
    if (!precision.ok) return { ok: false, problems: [precision.reason] };
    if (inputs.config.train.precision === 'bf16') inputs.log(`note: ${precision.note}`);
    const loaded = await loadRunModel(inputs.config, tokenizer, [...data.train, ...data.eval], sampling);
    if (!loaded.ok) {
      await setProductPrecision('fp32');
      return { ok: false, problems: loaded.errors };
    }
    return { ok: true, run: new TfjsRun(inputs, loaded.model, lowered.objective) };
  },
};

class TfjsRun implements PreparedRun {
  /** The tfjs engine's backend is config.json's `backend` entry, written by the pipeline. */
  readonly record: EngineRecord = {};
  private disposed = false;

  constructor(
    private readonly inputs: EngineInputs,
    private readonly model: CausalLM,
    private readonly objective: Parameters<typeof train>[0]['objective'],
  ) {}

  /** The tokenizer's special ids go into config.json, so transformers' generate() knows them. */
  private writeWeights = (model: CausalLM, dir: string) => {
    const t = this.inputs.tokenizer;
    return saveModel(model, dir, { tokenIds: { bos: t.bosId, eos: t.eosId, pad: t.padId } });
  };

  train(): Promise<TrainOutcome> {
    const { data, config, runDir, tokenizerFiles, reporter, resumeFrom, shouldStop, analysis, prompts, tokenizer } = this.inputs;
    const needs = analysis.onPolicy;
    if (needs !== undefined && prompts === undefined) return Promise.reject(new Error('on-policy training was given no prompts'));
    // Text offsets are needed only when a selector reads the text (regex groups).
    const onPolicy = needs === undefined ? undefined : {
      prompts: prompts!,
      sampler: tfjsSampler(this.model, tokenizer, needs, { seed: config.train.seed, offsets: analysis.host.text }),
    };
    return train({
      model: this.model, objective: this.objective, train: data.train, eval: data.eval, padId: this.inputs.tokenizer.padId,
      settings: config.train, runDir, tokenizerFiles, reporter, resumeFrom, saveModel: this.writeWeights, shouldStop,
      ...(onPolicy === undefined ? {} : { onPolicy }),
    });
  }

  async evaluate(): Promise<EvalMetrics | undefined> {
    const { data, config } = this.inputs;
    const batches = makeBatches(data.eval, { batchSize: config.train.batch, seed: 0, epoch: 0, padId: this.inputs.tokenizer.padId, shuffle: false });
    if (batches.length === 0) return undefined;
    const r = evaluate(this.model, this.objective, batches, { step: 0, totalSteps: 1 });
    return { step: 0, epoch: 0, loss: r.loss, ce: r.ce, perplexity: r.perplexity, tokens: r.tokens, groups: r.groups, worst_group: r.worstGroup };
  }

  async save(dir: string): Promise<void> {
    await writeDirAtomic(dir, async (temp) => {
      await this.writeWeights(this.model, temp);
      for (const file of this.inputs.tokenizerFiles) await copyFile(file, join(temp, basename(file)));
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
    // The process's products go back to float32 (tests and sweeps run several runs in one process).
    void setProductPrecision('fp32');
  }
}
