// The library's compile entry: source text in, a typed objective IR and every diagnostic out.
// load (imports) → parse → check (names, types, settings) → lower → fold → cse. Each stage runs as
// far as the input allows, so one call reports all errors; an unexpected exception becomes E0901
// instead of escaping. Nothing here imports TensorFlow.js: `sftgoc check` stays fast.
import { canonicalName } from './language/builtins.js';
import { error, hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.js';
import { fileSpan } from './diagnostics/span.js';
import { parse } from './parse/index.js';
import { checkProgram } from './check/index.js';
import { nodeHost, type CompileHost } from './check/host.js';
import { loadProgram, type LoadedFile } from './check/load.js';
import { readSourceFile } from './check/read-source.js';
import { checkLimits } from './check/limits.js';
import { overrideBlocks, type SettingOverride } from './check/set-overrides.js';
import { lowerProgram, PARAM_OVERRIDE_PREFIX } from './ir/lower.js';
import { foldObjective } from './ir/fold.js';
import { cseObjective } from './ir/cse.js';
import type { Objective } from './ir/nodes.js';

export interface CompileOptions {
  /** The name diagnostics use for the source and the base of relative imports; default `<input>.sftgo`. */
  file?: string;
  /**
   * `--param NAME=VALUE` overrides; Greek aliases (`lambda`) name their letter. A number replaces
   * the param's value; a string is an expression in the language, e.g. `"linear(0.9 -> 0.05)"`,
   * checked as if the main file ended with `param NAME = VALUE` (diagnostics name `--param NAME`).
   */
  params?: Record<string, number | string>;
  /** Where imports are read from; default: the disk, and the package's stdlib/ for `std/…`. */
  host?: CompileHost;
  /** `--set block.key=VALUE` overrides, applied after every file (VALUE in settings syntax). */
  set?: readonly SettingOverride[];
  /** Skip constant folding and CSE (for `--emit ir` debugging and the pass tests). */
  optimize?: boolean;
}

export interface CompileResult {
  /** Present when there are no errors (warnings allowed). */
  objective?: Objective;
  /** Sorted by file and position. */
  diagnostics: Diagnostic[];
  /** The text of every file read (main and imports), for renderDiagnostics. */
  sources: Record<string, string>;
}

/** A --param name with its Greek alias folded (`lambda` → `λ`), as the parser folds identifiers. */
export const canonicalParamName = canonicalName;

export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const file = options.file ?? '<input>.sftgo';
  const diagnostics: Diagnostic[] = [];
  let sources: Record<string, string> = { [file]: source };
  try {
    const overrides: Record<string, number> = {};
    const expressionParams: [string, string][] = [];
    for (const [raw, value] of Object.entries(options.params ?? {})) {
      const name = canonicalParamName(raw);
      if (typeof value === 'number') overrides[name] = value;
      else expressionParams.push([name, value]);
    }
    const loaded = loadProgram(file, source, options.host ?? nodeHost, parse);
    sources = loaded.sources;
    diagnostics.push(...loaded.diagnostics);
    const paramFiles = expressionParams.map(([name, text]): LoadedFile => {
      const path = `${PARAM_OVERRIDE_PREFIX}${name}`;
      const text2 = `param ${name} = ${text}`;
      sources[path] = text2;
      const parsed = parse(text2, path);
      diagnostics.push(...parsed.diagnostics);
      return { path, source: text2, ast: parsed.ast, imports: [file] };
    });
    const setBlocks = overrideBlocks(options.set ?? [], parse, diagnostics, sources);
    // The later passes recurse over expressions: nothing past this point runs on an unbounded program.
    if (!checkLimits([...loaded.files, ...paramFiles], diagnostics, setBlocks.map((b) => b.statement))) return { diagnostics: sortDiagnostics(diagnostics), sources };
    const checked = checkProgram([...loaded.files, ...paramFiles], overrides, diagnostics, setBlocks, file);
    for (const [name] of expressionParams) {
      const declared = checked.program.definitions.some((d) => d.kind === 'param' && d.name === name && !d.file.startsWith(PARAM_OVERRIDE_PREFIX));
      if (!declared) diagnostics.push(error('E0209', `--param ${name}: the objective has no param \`${name}\``, fileSpan(file), paramsHint(checked.program.winners)));
    }
    // A missing loss is expected when an import that may hold it could not be read.
    if (loaded.diagnostics.some((d) => d.code === 'E0205' || d.code === 'E0206')) {
      const i = diagnostics.findIndex((d) => d.code === 'E0210');
      if (i >= 0) diagnostics.splice(i, 1);
    }
    for (const [name, value] of Object.entries(overrides)) {
      const def = checked.program.winners.get(name);
      if (def?.kind !== 'param') {
        diagnostics.push(error('E0209', `--param ${name}: the objective has no param \`${name}\``, fileSpan(file), paramsHint(checked.program.winners)));
      } else if (!Number.isFinite(value)) {
        diagnostics.push(error('E0209', `--param ${name}: ${value} is not a finite number`, fileSpan(file)));
      }
    }
    if (hasErrors(diagnostics)) return { diagnostics: sortDiagnostics(diagnostics), sources };
    let objective = lowerProgram(checked, file, overrides);
    if (options.optimize !== false) objective = cseObjective(foldObjective(objective)).objective;
    return { objective, diagnostics: sortDiagnostics(diagnostics), sources };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    diagnostics.push(error('E0901', `internal compiler error: ${message}`, fileSpan(file), 'please report this with the source file'));
    return { diagnostics: sortDiagnostics(diagnostics), sources };
  }
}

function paramsHint(winners: Map<string, { kind: string; file: string }>): string {
  const names = [...winners].filter(([, d]) => d.kind === 'param' && !d.file.startsWith(PARAM_OVERRIDE_PREFIX)).map(([n]) => n);
  return `params: ${names.join(', ')}`;
}

/** Reads `path` (through the host when given) and compiles it; an unreadable file is E0205 (E0214 when it is not a plain source file). */
export function compileFile(path: string, options: Omit<CompileOptions, 'file'> = {}): CompileResult {
  const read = options.host !== undefined ? options.host.readFile(path) : toHostRead(readSourceFile(path));
  if (read === undefined) {
    return { diagnostics: [error('E0205', `cannot read ${path}`, fileSpan(path))], sources: {} };
  }
  if (typeof read === 'object') {
    return { diagnostics: [error('E0214', `cannot read ${path}: ${read.problem}`, fileSpan(path))], sources: {} };
  }
  return compile(read, { ...options, file: path });
}

function toHostRead(r: ReturnType<typeof readSourceFile>): string | undefined | { problem: string } {
  if ('text' in r) return r.text;
  return r.problem === 'no such file' ? undefined : r;
}
