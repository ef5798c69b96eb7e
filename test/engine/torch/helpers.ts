// Shared by the torch engine's tests: the Python with torch they use (/usr/bin/python3 or
// SFTGOC_PYTHON), found once, and a one-line skip when there is none.
import { spawn, type ChildProcess } from 'node:child_process';
import { findPython, type PythonEnv } from '../../../src/engine/torch/python-env.js';
import { cliEntry } from '../../cli/helpers/cli.js';
import { repoRoot } from '../../helpers/golden.js';

let found: PythonEnv | string | undefined;
let skipNoted = false;

/** The Python with torch, or the reason there is none (asked once per test process). */
export function torchPython(): PythonEnv | string {
  if (found === undefined) {
    const r = findPython(process.env.SFTGOC_PYTHON ?? '/usr/bin/python3');
    found = r.ok ? r.env : r.message;
  }
  return found;
}

/** In a `before` hook: skips the suite with one line when no Python imports torch. */
export function requireTorch(ctx: Mocha.Context): PythonEnv {
  const env = torchPython();
  if (typeof env === 'string') {
    // One line per test process, however many suites skip.
    if (!skipNoted) console.log(`      torch engine tests skipped: no Python with torch (${env.split(' (')[0]}); apt-get install python3-torch libopenblas0-pthread`);
    skipNoted = true;
    ctx.skip();
  }
  return env as PythonEnv;
}

/** Numbers that crossed JSON as strings ('nan', 'inf', '-inf') back to numbers. */
export function num(x: number | string): number {
  if (typeof x === 'number') return x;
  return x === 'nan' ? NaN : x === 'inf' ? Infinity : x === '-inf' ? -Infinity : Number(x);
}

/** The real `sftgoc` binary in a child process, asynchronously (several at once, signals to send). */
export function spawnSftgoc(args: readonly string[], env: NodeJS.ProcessEnv = {}, onSpawn?: (child: ChildProcess) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cliEntry, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'production', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  onSpawn?.(child);
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}
