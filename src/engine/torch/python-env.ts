// Finding a Python that imports torch: --python, else SFTGOC_PYTHON, else `python3` on PATH, else
// /usr/bin/python3 (Debian's python3-torch installs there, and a pyenv python3 may shadow it).
// Each candidate is asked once for its torch version and whether CUDA is available.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface PythonEnv {
  python: string;
  pythonVersion: string;
  torchVersion: string;
  cuda: boolean;
  /** CUDA devices visible. */
  gpus: number;
}

export type FindPythonResult = { ok: true; env: PythonEnv } | { ok: false; message: string };

/** The folder of the runtime's Python files (copied next to every emitted program). */
export const PYTHON_RUNTIME_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'src', 'engine', 'torch', 'python');

const PROBE = 'import json, sys, torch; print(json.dumps({"python": sys.version.split()[0], "torch": torch.__version__, "cuda": torch.cuda.is_available(), "gpus": torch.cuda.device_count()}))';

/** Probes made by this process: a run checks its Python before loading data and again when it starts the engine. */
const probed = new Map<string, PythonEnv | string>();

/** One candidate's torch, or why it has none (bounded: 60 s, small output); asked once per process. */
export function probePython(python: string): PythonEnv | string {
  const known = probed.get(python);
  if (known !== undefined) return known;
  const answer = probeOnce(python);
  probed.set(python, answer);
  return answer;
}

function probeOnce(python: string): PythonEnv | string {
  const r = spawnSync(python, ['-c', PROBE], { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 20 });
  if (r.error !== undefined) return (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message;
  if (r.status !== 0) return (r.stderr.trim().split('\n').at(-1) ?? `exit ${r.status}`).slice(0, 300);
  try {
    const info = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { python: string; torch: string; cuda: boolean; gpus: number };
    return { python, pythonVersion: info.python, torchVersion: info.torch, cuda: info.cuda, gpus: info.gpus };
  } catch {
    return `unexpected answer: ${r.stdout.slice(0, 200)}`;
  }
}

export function findPython(explicit?: string, env: NodeJS.ProcessEnv = process.env): FindPythonResult {
  const chosen = explicit ?? env.SFTGOC_PYTHON;
  const candidates = chosen !== undefined && chosen !== '' ? [chosen] : ['python3', '/usr/bin/python3'];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = probePython(python);
    if (typeof r !== 'string') return { ok: true, env: r };
    tried.push(`${python}: ${r}`);
  }
  const origin = explicit !== undefined ? '--python' : chosen !== undefined && chosen !== '' ? 'SFTGOC_PYTHON' : 'the default candidates';
  return {
    ok: false,
    message:
      `the torch engine needs a Python with PyTorch, and ${origin} gave none (${tried.join('; ')}). ` +
      'Install it with `apt-get install python3-torch libopenblas0-pthread` (Debian/Ubuntu) or `pip install torch`, ' +
      'then pass --python PATH or set SFTGOC_PYTHON.',
  };
}
