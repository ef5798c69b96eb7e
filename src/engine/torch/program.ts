// The generated PyTorch program: one folder holding the objective as Python (objective.py, from
// emit-objective.ts) and the runtime files it imports (python/: sftgoc_rt.py for the §7 functions,
// sftgoc_model.py for gpt2/llama and safetensors, sftgoc_train.py for the loop, sftgoc_hf.py for
// Hugging Face Trainer / TRL, sftgoc_generate.py for cached generation, sftgoc_onpolicy.py for
// on-policy sampling and rewards). `compile --emit torch --out
// DIR` writes it; `run --engine torch` writes it into the run directory and runs it on the exported
// inputs (export.ts).
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Analysis } from '../../analysis/index.js';
import type { Objective } from '../../ir/nodes.js';
import { emitObjective, type EmittedObjective } from './emit-objective.js';
import { PYTHON_RUNTIME_DIR } from './python-env.js';

export const TRAIN_SCRIPT = 'sftgoc_train.py';

/** Writes the program into `dir` (created if missing); returns what the emitter produced. */
export async function writeProgram(dir: string, objective: Objective, analysis: Analysis, file: string): Promise<EmittedObjective> {
  const emitted = emitObjective(objective, file, analysis);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'objective.py'), emitted.source);
  for (const name of await runtimeFiles()) await copyFile(join(PYTHON_RUNTIME_DIR, name), join(dir, name));
  await writeFile(join(dir, 'README.md'), programReadme(objective, file));
  return emitted;
}

export async function runtimeFiles(): Promise<string[]> {
  return (await readdir(PYTHON_RUNTIME_DIR)).filter((f) => f.endsWith('.py')).sort();
}

function programReadme(o: Objective, file: string): string {
  return [
    `# ${o.name}: the PyTorch program sftgoc generated from ${file}`,
    '',
    '- `objective.py`: the objective as a torch function over per-token tensors (generated; regenerate it, do not edit it).',
    '- `sftgoc_rt.py`: the functions of the objective language (ranks, reductions, group reductions, Group DRO).',
    '- `sftgoc_model.py`: plain-PyTorch gpt2 and llama reading and writing the Hugging Face safetensors layout.',
    '- `sftgoc_train.py`: the training loop (AdamW, schedules, clipping, accumulation, checkpoints), run by',
    '  `sftgoc run FILE --engine torch` on the inputs it exports (tokenized batches, static scores, reference ce).',
    '- `sftgoc_hf.py`: `make_compute_loss_func(objective)` for a Hugging Face Trainer or TRL SFTTrainer.',
    '- `sftgoc_generate.py`: sampling continuations of token-id prompts with a key/value cache (`sftgoc generate --engine torch`).',
    '- `sftgoc_onpolicy.py`: on-policy training (`sample { }`, `reward = …`): responses sampled each step, their text, rewards and advantages.',
    '',
    'See docs/scale-out.md in the sftgoc repository.',
    '',
  ].join('\n');
}
