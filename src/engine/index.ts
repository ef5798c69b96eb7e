// The engines by name, loaded on demand: naming an engine must not load TensorFlow.js or start a
// process (`check` and `compile --emit plan` import this). Adding an engine: implement Engine
// (types.ts) in its own folder and add one line here.
import type { Engine, EngineName } from './types.js';

export type { DecodeResult, Engine, EngineInputs, EngineName, EngineOptions, PreparedRun, PrepareResult, TrainOutcome, TrainStatus } from './types.js';

const loaders: Partial<Record<EngineName, () => Promise<Engine>>> = {
  tfjs: async () => (await import('./tfjs/index.js')).tfjsEngine,
  torch: async () => (await import('./torch/index.js')).torchEngine,
};

export const ENGINE_NAMES = Object.keys(loaders) as EngineName[];

export function isEngineName(name: string): name is EngineName {
  return Object.hasOwn(loaders, name);
}

/** The engine called `name`; the caller checks the name with isEngineName first. */
export async function loadEngine(name: EngineName): Promise<Engine> {
  const load = loaders[name];
  if (load === undefined) throw new Error(`no engine named ${name}`);
  return load();
}
