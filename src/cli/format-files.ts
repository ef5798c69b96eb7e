// `sftgoc fmt FILE… [--check]`: rewrites each file in its canonical form (atomically), or with
// --check lists the files that would change and exits 1. A file with syntax errors is never
// rewritten: its diagnostics are printed and the exit code is 1.
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { formatSource } from '../fmt/index.js';
import { realpath } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic.js';
import { readInputs } from './check-files.js';
import { renderAll, sourceLookup } from '../diagnostics/output.js';
import { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';

export interface FmtOptions {
  check: boolean;
  json: boolean;
  quiet: boolean;
}

export type FmtStatus = 'unchanged' | 'reformatted' | 'would-reformat' | 'syntax-errors' | 'write-failed' | 'internal-error';

export interface FmtFileReport {
  file: string;
  status: FmtStatus;
  diagnostics: Diagnostic[];
}

export async function runFmt(files: readonly string[], options: FmtOptions, out: Output): Promise<number> {
  const { sources, problems } = await readInputs(files);
  const human = options.json ? out.stderr.bind(out) : out.stdout.bind(out);
  const reports: FmtFileReport[] = [];
  const lookup = sourceLookup(sources);
  for (const [file, source] of sources) {
    const result = formatSource(source, file);
    if (!result.ok) {
      if (result.internal !== undefined) {
        out.stderr(`sftgoc: internal error: ${result.internal}\nThis is a bug in sftgoc; please report it with the file.`);
        reports.push({ file, status: 'internal-error', diagnostics: [] });
      } else {
        out.stderr(renderAll(result.diagnostics, lookup, false));
        reports.push({ file, status: 'syntax-errors', diagnostics: result.diagnostics });
      }
      continue;
    }
    if (!result.changed) {
      reports.push({ file, status: 'unchanged', diagnostics: [] });
    } else if (options.check) {
      reports.push({ file, status: 'would-reformat', diagnostics: [] });
      human(`would reformat ${file}`);
    } else {
      try {
        // Through a symbolic link to its target: renaming over the link itself would replace it
        // with a copy and leave the file it pointed to unformatted.
        await writeFileAtomic(await realpath(file), result.formatted);
      } catch (error) {
        // The original is intact (the temporary file is removed); say which file and why.
        out.stderr(`error: cannot write ${file}: ${(error as Error).message}`);
        reports.push({ file, status: 'write-failed', diagnostics: [] });
        continue;
      }
      reports.push({ file, status: 'reformatted', diagnostics: [] });
      if (!options.quiet) human(`reformatted ${file}`);
    }
  }
  for (const p of problems) out.stderr(`error: ${p}`);

  const count = (s: FmtStatus) => reports.filter((r) => r.status === s).length;
  if (!options.quiet && reports.length > 0) {
    const changed = options.check ? `${count('would-reformat')} would be reformatted` : `${count('reformatted')} reformatted`;
    const failed = count('syntax-errors') + count('write-failed') + count('internal-error');
    human(`${changed}, ${count('unchanged')} unchanged${failed > 0 ? `, ${failed} not formatted (errors)` : ''}`);
  }
  const code =
    count('internal-error') > 0
      ? ExitCode.Internal
      : problems.length > 0
        ? ExitCode.Usage
        : count('syntax-errors') > 0 || count('write-failed') > 0 || count('would-reformat') > 0
          ? ExitCode.InputError
          : ExitCode.Success;
  if (options.json) out.stdout(JSON.stringify({ ok: code === ExitCode.Success, files: reports, usageErrors: problems }, null, 2));
  return code;
}
