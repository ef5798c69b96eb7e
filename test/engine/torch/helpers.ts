// Shared by the torch engine's tests: the Python with torch they use (/usr/bin/python3 or
// SFTGOC_PYTHON), found once, and a one-line skip when there is none.
import { findPython, type PythonEnv } from '../../../src/engine/torch/python-env.js';

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
