// Makes RUN/torch/ self-contained: the initial weights' folder (model.path) and the tokenizer files
// are copied into it (hard links where the file system allows, so a large model costs no space),
// and input.json names every path relative to RUN/torch/. A machine of a multi-node run, or anyone
// rerunning the program by hand, then needs only the run directory.
import { copyFile, link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import type { ProgramInput } from './export.js';

/** Copies `file` to `to`, by a hard link when possible. */
async function place(file: string, to: string): Promise<void> {
  await rm(to, { force: true });
  try {
    await link(file, to);
  } catch {
    await copyFile(file, to);
  }
}

/** The files of a model folder (its top level: config.json, *.safetensors, tokenizer files). */
async function filesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir)) if ((await stat(join(dir, name))).isFile()) out.push(name);
  return out;
}

/** Copies the model folder and tokenizer files into `programDir` unless they are there already; rewrites the spec's paths relative to it. */
export async function bundleInputs(programDir: string, spec: ProgramInput): Promise<ProgramInput> {
  const inside = (p: string) => !relative(programDir, resolve(p)).startsWith('..');
  let modelDir = spec.model.dir;
  if (!inside(modelDir)) {
    const to = join(programDir, 'model');
    await rm(to, { recursive: true, force: true });
    await mkdir(to, { recursive: true });
    for (const name of await filesOf(modelDir)) await place(join(modelDir, name), join(to, name));
    modelDir = to;
  }
  const tokenizerDir = join(programDir, 'tokenizer');
  await mkdir(tokenizerDir, { recursive: true });
  const tokenizerFiles: string[] = [];
  for (const f of spec.tokenizer_files) {
    const to = inside(f) ? f : join(tokenizerDir, basename(f));
    if (to !== f) await place(f, to);
    tokenizerFiles.push(to);
  }
  const rel = (p: string) => relative(programDir, resolve(p)) || '.';
  return {
    ...spec,
    model: { ...spec.model, dir: rel(modelDir) },
    tokenizer_files: tokenizerFiles.map(rel),
    run_dir: rel(spec.run_dir),
    stop_file: rel(spec.stop_file),
    resume_from: spec.resume_from === null ? null : rel(spec.resume_from),
  };
}
