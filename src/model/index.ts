// The model layer's public surface: what the trainer, the CLI and the benchmarks import.
export type { Architecture, CausalLM, ModelConfig } from './types.js';
export { ModelFileError } from './errors.js';
export type { DType } from './dtype.js';
export { parseConfig, configToJson } from './config.js';
export { createModel, weightShapes } from './init.js';
export { loadModel, saveModel, type SaveOptions } from './hf-dir.js';
export { presetConfig, PRESET_NAMES, isPresetName, type PresetName } from './presets.js';
export { readSafetensors, writeSafetensors, decodeSafetensors, encodeSafetensors, type TensorEntry, type SafetensorsContents } from './safetensors.js';
