// Drives the torch engine's on-policy path directly: an objective compiled from a small .sftgo file,
// the contract's OnPolicyNeeds put on its analysis, the bundled question set's first prompts as
// EngineInputs.prompts, and the bundled base model. (The language's `sample { }` block comes from
// the other half of issue 19; this harness needs none of it.)
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../../src/util/package-root.js';
import { compileObjective } from '../../../src/pipeline.js';
import { loadPrompts, type PromptRecord } from '../../../src/data/prompts.js';
import { torchEngine } from '../../../src/engine/torch/index.js';
import type { EngineInputs, TrainOutcome } from '../../../src/engine/types.js';
import type { OnPolicyNeeds, RolloutRecord } from '../../../src/language/on-policy.js';
import { loadTokenizer } from '../../../src/tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../../../src/tokenizer/types.js';
import { resolveRunConfig } from '../../../src/train/config.js';
import { silentReporter } from '../../../src/train/reporter.js';
import { RunDirectory } from '../../../src/train/run-dir.js';
import { repoRoot } from '../../helpers/golden.js';

export const baseModel = join(repoRoot, 'assets', 'default', 'model');
export const questions = join(repoRoot, 'assets', 'default', 'data', 'questions.jsonl');

let tokenizer: Tokenizer | undefined;
export function bundled(): Tokenizer {
  if (tokenizer === undefined) {
    const r = loadTokenizer(baseModel);
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('; '));
    tokenizer = r.tokenizer;
  }
  return tokenizer;
}

export function firstPrompts(count: number): PromptRecord[] {
  const loaded = loadPrompts(questions, bundled());
  if (loaded.errors.length > 0) throw new Error(loaded.errors[0]!.message);
  return loaded.prompts.slice(0, count);
}

export interface HarnessRun {
  dir: string;
  needs: OnPolicyNeeds;
  prompts: readonly PromptRecord[];
  python: string;
  nproc?: number;
  /** train { } entries, e.g. 'steps = 3'. */
  train: string[];
  resumeFrom?: string;
  /** The objective's loss (default: GRPO's plain policy gradient on the sampled tokens). */
  loss?: string;
}

export interface HarnessResult {
  outcome: TrainOutcome;
  problems?: string[];
  rollouts: RolloutRecord[];
  metrics: Array<{ step: number; loss: number; reward_mean: number; reward_std: number }>;
}

async function jsonl<T>(file: string): Promise<T[]> {
  if (!existsSync(file)) return [];
  return (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
}

export async function harnessRun(h: HarnessRun): Promise<HarnessResult> {
  await mkdir(h.dir, { recursive: true });
  const file = join(h.dir, 'objective.sftgo');
  await writeFile(file, [
    'objective onpolicy_probe',
    `loss = ${h.loss ?? 'mean(ce·advantage)'}`,
    `model { path = ${JSON.stringify(baseModel)} }`,
    `data { train = ${JSON.stringify(questions)} }`,
    `train { lr = 1e-3, lr_schedule = constant, eval_every = 0, save_every = 0, seed = 3, out = ${JSON.stringify(join(h.dir, 'run'))}, ${h.train.join(', ')} }`,
    '',
  ].join('\n'));
  const compiled = compileObjective({ file, compile: { overrides: [] } });
  if (!compiled.ok) throw new Error(`harness objective: ${JSON.stringify(compiled)}`);
  const { config, errors } = resolveRunConfig(compiled.objective.settings, {
    objectiveName: compiled.objective.name, sourceFile: file, origins: compiled.objective.settingSpans, packageRoot,
  });
  if (errors.length > 0) throw new Error(errors.join('; '));
  const runDir = new RunDirectory(config.train.out);
  await runDir.ensure();
  const stats = { records: 0, skipped: 0, samples: 0, truncated: 0, dropped: 0, tokens: 0 };
  const inputs: EngineInputs = {
    objective: compiled.objective,
    analysis: { ...compiled.analysis, onPolicy: h.needs },
    config,
    sourceFile: file,
    data: { train: [], eval: [], stats: { train: stats as EngineInputs['data']['stats']['train'] } },
    prompts: h.prompts,
    tokenizer: bundled(),
    tokenizerFiles: [],
    runDir,
    reporter: silentReporter,
    log: () => undefined,
    shouldStop: () => false,
    options: { python: h.python, nproc: h.nproc ?? 1, device: 'cpu' },
    ...(h.resumeFrom !== undefined ? { resumeFrom: h.resumeFrom } : {}),
  };
  const prepared = await torchEngine.prepare(inputs);
  if (!prepared.ok) return { outcome: { status: 'diverged', step: 0, totalSteps: 0, history: [], evals: [] }, problems: prepared.problems, rollouts: [], metrics: [] };
  const outcome = await prepared.run.train();
  return {
    outcome,
    rollouts: await jsonl<RolloutRecord>(join(runDir.path, 'rollouts.jsonl')),
    metrics: await jsonl(join(runDir.path, 'metrics.jsonl')),
  };
}
