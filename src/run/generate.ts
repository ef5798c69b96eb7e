// Generation as a library call, shared by `sftgoc generate`, `eval --generate` and `compare
// --generate`: labelled prompts (already rendered and tokenised) and decoding options in, checked
// against the model's config.json (positions, vocabulary) without loading it, decoded by the named
// engine, and turned into completions (stop strings applied). Problems come back as messages.
import { loadEngine, type EngineName, type EngineOptions } from '../engine/index.js';
import { readModelConfig } from '../model/config.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { toCompletion } from '../generate/stops.js';
import type { Completion, DecodeOptions, DecodeProgress } from '../generate/types.js';
import { optionProblems, promptProblems, type LabelledPrompt } from '../generate/validate.js';

export interface GenerationJob {
  modelDir: string;
  tokenizer: Tokenizer;
  /** Each prompt's rendered text (written back in the records), label (for messages) and ids. */
  prompts: ReadonlyArray<LabelledPrompt & { text: string }>;
  options: DecodeOptions;
  stops: readonly string[];
  engine: EngineName;
  engineOptions: EngineOptions & { backend?: string };
  /** Rows decoded together; the engine's default when absent. */
  batch?: number;
  progress?: DecodeProgress;
}

export type GenerationResult =
  | { ok: true; completions: Completion[]; notes: string[] }
  | { ok: false; problems: string[]; kind: 'usage' | 'input' };

/** The model's positions and vocabulary from its config.json, or the reason it cannot be read. */
function modelShape(dir: string): { positions: number; vocab: number } | string {
  try {
    const config = readModelConfig(dir);
    return { positions: config.maxPositions, vocab: config.vocabSize };
  } catch (e) {
    return (e as Error).message;
  }
}

export async function generate(job: GenerationJob): Promise<GenerationResult> {
  const usage = optionProblems(job.options);
  if (usage.length > 0) return { ok: false, problems: usage, kind: 'usage' };
  const shape = modelShape(job.modelDir);
  if (typeof shape === 'string') return { ok: false, problems: [shape], kind: 'input' };
  const problems = promptProblems(job.prompts, job.options.maxNew, shape.positions, shape.vocab);
  if (problems.length > 0) return { ok: false, problems, kind: job.options.maxNew >= shape.positions ? 'usage' : 'input' };
  const engine = await loadEngine(job.engine);
  const decoded = await engine.decode(
    { modelDir: job.modelDir, prompts: job.prompts.map((p) => p.ids), options: job.options, eosId: job.tokenizer.eosId, ...(job.batch !== undefined ? { batch: job.batch } : {}) },
    job.engineOptions,
    job.progress,
  );
  if (!decoded.ok) return { ok: false, problems: decoded.problems, kind: 'input' };
  const decode = (ids: readonly number[]) => job.tokenizer.decode(ids, { skipSpecialTokens: true });
  const completions = decoded.rows.map((row) => toCompletion(row, job.prompts[row.prompt]!.text, decode, job.stops));
  return { ok: true, completions, notes: decoded.notes };
}
