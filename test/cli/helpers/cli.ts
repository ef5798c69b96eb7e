// Runs the real `sftgoc` binary in a child process: bin/run.js over dist/ when the tests themselves
// were compiled (CI), bin/dev.js over src/ when they run from TypeScript under tsx.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../helpers/golden.js';

export const runningFromSources = fileURLToPath(import.meta.url).endsWith('.ts');
export const cliEntry = join(repoRoot, 'bin', runningFromSources ? 'dev.js' : 'run.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; nodeArgs?: readonly string[]; timeoutMs?: number } = {}): CliResult {
  const result = spawnSync(process.execPath, [...(options.nodeArgs ?? []), cliEntry, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NODE_ENV: 'production', DEBUG: '', ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
