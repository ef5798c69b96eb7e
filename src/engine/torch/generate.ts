// The torch engine's generation (Engine.decode): the runtime files (python/: sftgoc_model.py's
// cached decode, sftgoc_generate.py's sampling rule) and the request are written into a temporary
// folder, the found Python runs sftgoc_generate.py there, its `@sftgoc {"done", "total"}` lines
// become progress, and its JSONL output becomes the rows. The folder is removed afterwards. The
// child is bounded: a timeout or an abort kills it (SIGTERM, then SIGKILL), and so does sftgoc's exit.
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { DecodeProgress, DecodeRequest, DecodedRow } from '../../generate/types.js';
import type { DecodeResult } from '../types.js';
import { runtimeFiles } from './program.js';
import { childBlasEnv } from '../../backend/blas/child-env.js';
import { PYTHON_RUNTIME_DIR, type PythonEnv } from './python-env.js';

export const GENERATE_SCRIPT = 'sftgoc_generate.py';

/** How long a decode may run and who may stop it; neither by default (a long generation is legitimate). */
export interface DecodeLimits {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** After SIGTERM, how long the child has before SIGKILL. */
const KILL_GRACE_MS = 5_000;

/**
 * Decodes `request` with `env`'s Python on `device` (index.ts's planTorch chooses both from the
 * engine options, so --python and --device mean what they mean for `run`).
 */
export async function torchDecode(
  env: PythonEnv,
  device: 'cpu' | 'cuda',
  request: DecodeRequest,
  progress?: DecodeProgress,
  limits: DecodeLimits = {},
): Promise<DecodeResult> {
  const notes = [`torch ${env.torchVersion} (python ${env.pythonVersion}, ${env.python}) on ${device}`];
  if (request.prompts.length === 0) return { ok: true, rows: [], notes };
  const o = request.options;
  const input = {
    // Absolute: the program runs in its temporary folder.
    model_dir: resolve(request.modelDir), device, prompts: request.prompts, max_new: o.maxNew, temperature: o.temperature,
    top_k: o.topK, top_p: o.topP, n: o.n, seed: o.seed, eos_id: request.eosId, batch: request.batch ?? null,
  };
  let dir: string | undefined;
  try {
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-generate-'));
    for (const name of await runtimeFiles()) await copyFile(join(PYTHON_RUNTIME_DIR, name), join(dir, name));
    await writeFile(join(dir, 'input.json'), JSON.stringify(input));
    // The system OpenBLAS's kernel set, checked in this process first (backend/blas/child-env.ts).
    const blas = await childBlasEnv({ processes: 1, cores: cpus().length });
    notes.push(blas.note);
    const ran = await runChild(blas.env, env.python, [GENERATE_SCRIPT, 'input.json', 'output.jsonl'], dir, progress, limits);
    if (!ran.ok) return { ok: false, problems: [namingModel(request.modelDir, ran.message)] };
    const rows = parseRows(await readFile(join(dir, 'output.jsonl'), 'utf8'), request.prompts.length * o.n);
    if (typeof rows === 'string') return { ok: false, problems: [namingModel(request.modelDir, rows)] };
    return { ok: true, rows, notes };
  } catch (e) {
    return { ok: false, problems: [namingModel(request.modelDir, `generation failed: ${(e as Error).message}`)] };
  } finally {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

/** Every problem names the model it was about (the program's own messages usually do already). */
function namingModel(modelDir: string, message: string): string {
  return message.includes(modelDir) ? message : `${modelDir}: ${message}`;
}

type ChildResult = { ok: true } | { ok: false; message: string };

function runChild(childEnv: NodeJS.ProcessEnv, python: string, args: string[], cwd: string, progress: DecodeProgress | undefined, limits: DecodeLimits): Promise<ChildResult> {
  return new Promise((resolve) => {
    if (limits.signal?.aborted) return resolve({ ok: false, message: 'generation was interrupted' });
    const child = spawn(python, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
    const stderr: string[] = [];
    let stopped: string | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = (why: string) => {
      if (stopped !== undefined) return;
      stopped = why;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const onExit = () => child.kill('SIGKILL');
    const onAbort = () => kill('generation was interrupted');
    process.on('exit', onExit);
    limits.signal?.addEventListener('abort', onAbort);
    const timer = limits.timeoutMs !== undefined ? setTimeout(() => kill(`generation took longer than ${limits.timeoutMs} ms and was stopped`), limits.timeoutMs) : undefined;

    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith('@sftgoc ') || progress === undefined) return;
      try {
        const e = JSON.parse(line.slice(8)) as { done?: number; total?: number };
        if (typeof e.done === 'number' && typeof e.total === 'number') progress(e.done, e.total);
      } catch {
        // A malformed progress line costs a progress update, not the generation.
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString('utf8'));
      while (stderr.length > 200) stderr.shift();
    });
    const finish = (result: ChildResult) => {
      if (timer !== undefined) clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      process.off('exit', onExit);
      limits.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    child.on('error', (e) => finish({ ok: false, message: `cannot start ${python}: ${e.message}` }));
    child.on('close', (code, signal) => {
      if (stopped !== undefined) return finish({ ok: false, message: stopped });
      if (code === 0) return finish({ ok: true });
      const tail = stderr.join('').trim().split('\n').slice(-15).join('\n');
      // Exit 1 with one line is the program's own message; anything else is a crash, shown with its tail.
      if (code === 1 && tail !== '' && !tail.includes('\n')) return finish({ ok: false, message: tail });
      finish({ ok: false, message: `the torch generation program exited with ${code ?? signal}${tail ? `:\n${tail}` : ''}` });
    });
  });
}

/** The program's JSONL rows, checked for their shape and number; a string says what is wrong. */
function parseRows(text: string, expected: number): DecodedRow[] | string {
  const rows: DecodedRow[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let r: DecodedRow;
    try {
      r = JSON.parse(line) as DecodedRow;
    } catch {
      return `the generation program wrote an unreadable line: ${line.slice(0, 200)}`;
    }
    const shaped = Number.isInteger(r.prompt) && Number.isInteger(r.sample) && Array.isArray(r.ids) && Array.isArray(r.logprobs) && (r.finish === 'eos' || r.finish === 'length');
    if (!shaped) return `the generation program wrote an unexpected row: ${line.slice(0, 200)}`;
    rows.push({ prompt: r.prompt, sample: r.sample, ids: r.ids, logprobs: r.logprobs, finish: r.finish });
  }
  if (rows.length !== expected) return `the generation program wrote ${rows.length} rows, expected ${expected}`;
  return rows;
}
