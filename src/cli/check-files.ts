// `sftgoc check FILE…`: every diagnostic of every file, a summary line, exit 0 or 1.
// The compiler is passed in (the command wires the real one), so this module stays free of it.
import { readSourceFile } from '../check/read-source.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { sortDiagnostics } from '../diagnostics/diagnostic.js';
import { countSeverities, renderAll, sourceLookup, summarize } from '../diagnostics/output.js';
import { ExitCode } from './exit-codes.js';
import type { Output } from './output.js';
import type { Overrides } from './overrides.js';

/** What checking one file yields: its diagnostics and the text of every file they may point into (imports). */
export interface CheckedSource {
  diagnostics: readonly Diagnostic[];
  sources?: Readonly<Record<string, string>>;
}

export type CheckSource = (source: string, file: string, overrides: Overrides) => Promise<CheckedSource> | CheckedSource;

export interface CheckOptions {
  json: boolean;
  quiet: boolean;
  overrides: Overrides;
}

export interface FileReport {
  file: string;
  diagnostics: Diagnostic[];
}

/** Reads FILE arguments; one that cannot be read is a usage error that names it. */
export async function readInputs(files: readonly string[]): Promise<{ sources: Map<string, string>; problems: string[] }> {
  const sources = new Map<string, string>();
  const problems: string[] = [];
  for (const file of files) {
    // Bounded and non-blocking: a FIFO, a device or a huge file is refused, not read.
    const read = readSourceFile(file);
    if ('text' in read) sources.set(file, read.text);
    else problems.push(`cannot read ${file}: ${read.problem}`);
  }
  return { sources, problems };
}

export async function runCheck(files: readonly string[], options: CheckOptions, check: CheckSource, out: Output): Promise<number> {
  const { sources, problems } = await readInputs(files);
  const reports: FileReport[] = [];
  const texts = new Map(sources);
  for (const [file, source] of sources) {
    const checked = await check(source, file, options.overrides);
    for (const [path, text] of Object.entries(checked.sources ?? {})) if (!texts.has(path)) texts.set(path, text);
    reports.push({ file, diagnostics: sortDiagnostics(checked.diagnostics) });
  }
  const all = reports.flatMap((r) => r.diagnostics);
  const { errors, warnings } = countSeverities(all);
  const code = problems.length > 0 ? ExitCode.Usage : errors > 0 ? ExitCode.InputError : ExitCode.Success;

  const human = options.json ? out.stderr.bind(out) : out.stdout.bind(out);
  const rendered = renderAll(all, sourceLookup(texts), options.quiet);
  // A blank line between the last diagnostic and the summary, as tsc and rustc do.
  if (rendered !== '') human(options.quiet ? rendered : `${rendered}\n`);
  if (!options.quiet) {
    const checked = `${reports.length} file${reports.length === 1 ? '' : 's'}`;
    human(`checked ${checked}: ${summarize(all)}`);
  }
  for (const p of problems) out.stderr(`error: ${p}`);
  if (options.json) {
    out.stdout(JSON.stringify({ ok: code === ExitCode.Success, errors, warnings, files: reports, usageErrors: problems }, null, 2));
  }
  return code;
}
