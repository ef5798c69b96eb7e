// A run's initial model (both engines: the tfjs engine trains it, the torch engine writes a preset's
// weights from it): a Hugging Face directory (model.path) or a preset initialised from the
// seed, checked against the tokenizer and the data before any training. Problems are messages.
import type { Sample } from '../data/types.js';
import { createModel, loadModel, presetConfig, PRESET_NAMES } from '../model/index.js';
import type { CausalLM } from '../model/types.js';
import { modelFitProblem, type LocatedIds } from '../model/fits.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { RunConfig } from './config.js';

export type ModelResult = { ok: true; model: CausalLM } | { ok: false; errors: string[] };

/**
 * The run's initial model: model.path loaded, or the preset initialised from train.seed, checked
 * against the tokenizer, the samples and (on-policy) the prompts with their sampled continuations.
 */
export async function loadRunModel(
  config: RunConfig, tokenizer: Tokenizer, samples: readonly Sample[], sampling?: { prompts: readonly LocatedIds[]; maxNew: number },
): Promise<ModelResult> {
  const dir = config.model.tokenizer ?? config.model.path!;
  let model: CausalLM;
  try {
    if (config.model.path !== undefined) {
      model = await loadModel(config.model.path);
    } else {
      const preset = presetConfig(config.model.preset!, { vocabSize: tokenizer.vocabSize });
      if (preset === undefined) return { ok: false, errors: [`model.preset: unknown preset '${config.model.preset}'; the presets are ${PRESET_NAMES.join(', ')}`] };
      model = createModel(preset, config.train.seed);
    }
  } catch (e) {
    return { ok: false, errors: [(e as Error).message] };
  }
  const problem = modelFitProblem(dir, model.config, tokenizer.vocabSize, samples, sampling);
  if (problem !== undefined) {
    model.dispose();
    return { ok: false, errors: [problem] };
  }
  return { ok: true, model };
}
