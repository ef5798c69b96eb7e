// The tfjs engine's model: a Hugging Face directory (model.path) or a preset initialised from the
// seed, checked against the tokenizer and the data before any training. Problems are messages.
import type { Sample } from '../../data/types.js';
import { createModel, loadModel, presetConfig, PRESET_NAMES } from '../../model/index.js';
import type { CausalLM } from '../../model/types.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import type { RunConfig } from '../../train/config.js';

export type ModelResult = { ok: true; model: CausalLM } | { ok: false; errors: string[] };

export async function loadRunModel(config: RunConfig, tokenizer: Tokenizer, samples: readonly Sample[]): Promise<ModelResult> {
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
  if (model.config.vocabSize < tokenizer.vocabSize) {
    model.dispose();
    return { ok: false, errors: [`${dir}: the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${model.config.vocabSize} embeddings`] };
  }
  const tooLong = samples.find((s) => s.ids.length > model.config.maxPositions);
  if (tooLong !== undefined) {
    model.dispose();
    return { ok: false, errors: [`${tooLong.source.file}:${tooLong.source.line}: ${tooLong.ids.length} tokens exceed the model's ${model.config.maxPositions} positions; lower data.max_len`] };
  }
  return { ok: true, model };
}
