// Random initialisation of a fresh model, GPT-2 style (HF _init_weights): weights ~ N(0, 0.02),
// biases 0, norm weights 1, and for gpt2 the residual output projections (c_proj) scaled by
// 1/√(2·n_layer). Deterministic by seed and independent of the backend: the numbers come from a
// seeded PRNG in JavaScript, one stream per weight name, so adding a weight never changes the others.
import * as tf from '@tensorflow/tfjs';
import type { CausalLM, ModelConfig } from './types.js';
import { Gpt2Model, gpt2Shapes } from './gpt2.js';
import { LlamaModel, llamaShapes } from './llama.js';
import { shapeProblems } from './config.js';
import { mulberry32 } from '../util/prng.js';

export const INIT_STD = 0.02;

/** The expected weights of a model of this config, by HF name. */
export function weightShapes(config: ModelConfig): Map<string, number[]> {
  return config.architecture === 'gpt2' ? gpt2Shapes(config) : llamaShapes(config);
}

/** Builds the model object around already-made variables (which must match weightShapes). */
export function buildModel(config: ModelConfig, params: Map<string, tf.Variable>): CausalLM {
  return config.architecture === 'gpt2' ? new Gpt2Model(config, params) : new LlamaModel(config, params);
}

let modelCounter = 0;

/**
 * A function making this model's variables. tfjs variable names are global and must be unique, and
 * a policy and its reference model hold the same HF names, so each model gets its own prefix
 * (`model3/transformer.wte.weight`); the params Map is keyed by the plain HF name.
 */
export function variableFactory(): (values: Float32Array, shape: number[], name: string) => tf.Variable {
  const prefix = `model${++modelCounter}/`;
  return (values, shape, name) => {
    const initial = tf.tensor(values, shape, 'float32');
    const variable = tf.variable(initial, true, prefix + name);
    // The variable shares the initial tensor's data; disposing the tensor only drops its handle.
    initial.dispose();
    return variable;
  };
}


/** FNV-1a of the name mixed with the seed: one independent stream per weight. */
function streamSeed(seed: number, name: string): number {
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** `count` samples of N(0, std²) by Box–Muller. */
export function normalSamples(count: number, std: number, seed: number, name: string): Float32Array {
  const next = mulberry32(streamSeed(seed, name));
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - next(); // in (0, 1]: log never sees 0
    const u2 = next();
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

function isNormWeight(name: string): boolean {
  return /(ln_\d|ln_f|layernorm|norm)\.weight$/.test(name);
}

function initialValues(config: ModelConfig, name: string, shape: number[], seed: number): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (name.endsWith('.bias')) return new Float32Array(count);
  if (isNormWeight(name)) return new Float32Array(count).fill(1);
  const residualOut = config.architecture === 'gpt2' && name.endsWith('c_proj.weight');
  const std = residualOut ? INIT_STD / Math.sqrt(2 * config.numLayers) : INIT_STD;
  return normalSamples(count, std, seed, name);
}

/** A randomly initialised model; the same config and seed give the same weights on every backend. */
export function createModel(config: ModelConfig, seed: number): CausalLM {
  const problems = shapeProblems(config);
  if (problems.length > 0) throw new Error(`cannot build a ${config.architecture} model: ${problems.join('; ')}`);
  const params = new Map<string, tf.Variable>();
  const makeVariable = variableFactory();
  for (const [name, shape] of weightShapes(config)) params.set(name, makeVariable(initialValues(config, name, shape, seed), shape, name));
  return buildModel(config, params);
}
