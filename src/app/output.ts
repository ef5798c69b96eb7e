// How the application layer ends a command: one place that prints a failure (each line as
// `error: …` on stderr, and under --json the `{ok: false, exit_code, …}` document on stdout) and
// hands back CLI.md's exit code. Commands never print failures any other way.
import { ExitCode, type ExitCodeValue } from '../cli/exit-codes.js';
import type { Output } from '../cli/output.js';

export { ExitCode, type ExitCodeValue } from '../cli/exit-codes.js';

export interface Reply {
  out: Output;
  json: boolean;
  quiet: boolean;
}

/** Prints `lines` as errors and returns `exitCode`; `extra` joins the JSON document. */
export function fail(reply: Reply, exitCode: number, lines: readonly string[], extra: Record<string, unknown> = {}): number {
  for (const l of lines) reply.out.stderr(l.startsWith('error') ? l : `error: ${l}`);
  if (reply.json) reply.out.stdout(JSON.stringify({ ok: false, exit_code: exitCode, errors: lines, ...extra }, null, 2));
  return exitCode;
}

/** Human text: the result on stdout, or on stderr when stdout carries the JSON document. */
export function human(reply: Reply): (text: string) => void {
  return (text) => (reply.json ? reply.out.stderr(text) : reply.out.stdout(text));
}

/** A note for people (progress, cache hits), silenced by --quiet. */
export function note(reply: Reply): (text: string) => void {
  return (text) => void (reply.quiet ? undefined : reply.out.stderr(text));
}

/** Usage errors (exit 2) and bad input (exit 1): the pipeline's two kinds of stage failure. */
export function exitCodeOf(kind: 'usage' | 'input'): ExitCodeValue {
  return kind === 'usage' ? ExitCode.Usage : ExitCode.InputError;
}
