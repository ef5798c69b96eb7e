// The library's compile entry: source text in, a typed objective IR and every diagnostic out.
// load (imports) → parse → check (names, types, settings) → lower → fold → cse. Each stage runs as
// far as the input allows, so one call reports all errors; an unexpected exception becomes E0901
// instead of escaping. Nothing here imports TensorFlow.js: `sftgoc check` stays fast.
import { canonicalName } from './language/builtins.js';
import { error, hasErrors, sortDiagnostics, warning, type Diagnostic } from './diagnostics/diagnostic.js';
import { fileSpan } from './diagnostics/span.js';
import { parse } from './parse/index.js';
import { checkProgram } from './check/index.js';
import { nodeHost, type CompileHost } from './check/host.js';
import { loadProgram, type LoadedFile } from './check/load.js';
import { readSourceFile } from './check/read-source.js';
import { checkLimits } from './check/limits.js';
import { overrideBlocks, type SettingOverride } from './check/set-overrides.js';
import { lowerProgram } from './ir/lower.js';
import { overrideLabel, type Override } from './language/overrides.js';
import { foldObjective } from './ir/fold.js';
import { cseObjective } from './ir/cse.js';
import type { Objective } from './ir/nodes.js';
import type { Definition } from './check/names.js';

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
  /** The command line's overrides as typed values (src/language/overrides.ts); applied after `params` and `set`. */
  overrides?: readonly Override[];
  /** Skip constant folding and CSE (for `--emit ir` debugging and the pass tests). */
  optimize?: boolean;
}

export interface CompileResult {
  /** Present when there are no errors (warnings allowed). */
  objective?: Objective;
  /** Sorted by file and position. */
  diagnostics: Diagnostic[];
  /** The text of every file read (main and imports) and of each override under its flag's label, for renderDiagnostics. */
  sources: Record<string, string>;
  /** Every override compile was given (`params`, `set` and `overrides` together). */
  overrides: readonly Override[];
}

/** A --param name with its Greek alias folded (`lambda` → `λ`), as the parser folds identifiers. */
export const canonicalParamName = canonicalName;

export function compile(source: string, options: CompileOptions = {}): CompileResult {
  const file = options.file ?? '<input>.sftgo';
  const diagnostics: Diagnostic[] = [];
  let sources: Record<string, string> = { [file]: source };
  const given: Override[] = [
    ...Object.entries(options.params ?? {}).map(([name, value]): Override => ({ kind: 'param', name, value })),
    ...(options.set ?? []).map(({ key, value }): Override => ({ kind: 'set', key, value })),
    ...(options.overrides ?? []),
  ];
  const fail = () => ({ diagnostics: sortDiagnostics(diagnostics), sources, overrides: given });
  try {
    const overrides: Record<string, number> = {};
    const expressionParams: [string, string][] = [];
    for (const o of given) {
      if (o.kind !== 'param') continue;
      const name = canonicalParamName(o.name);
      if (typeof o.value === 'number') overrides[name] = o.value;
      else expressionParams.push([name, o.value]);
    }
    const loaded = loadProgram(file, source, options.host ?? nodeHost, parse);
    sources = loaded.sources;
    diagnostics.push(...loaded.diagnostics);
    const paramFiles = expressionParams.map(([name, text]): LoadedFile => {
      const path = overrideLabel({ kind: 'param', name, value: text });
      const text2 = `param ${name} = ${text}`;
      sources[path] = text2;
      const parsed = parse(text2, path);
      diagnostics.push(...parsed.diagnostics);
      return { path, source: text2, ast: parsed.ast, imports: [file] };
    });
    const setBlocks = overrideBlocks(given.flatMap((o) => (o.kind === 'set' ? [{ key: o.key, value: o.value }] : [])), parse, diagnostics, sources);
    // The later passes recurse over expressions: nothing past this point runs on an unbounded program.
    if (!checkLimits([...loaded.files, ...paramFiles], diagnostics, setBlocks.map((b) => b.statement))) return fail();
    const checked = checkProgram([...loaded.files, ...paramFiles], overrides, diagnostics, setBlocks, file, options.host ?? nodeHost);
    // The definitions an expression-valued --param made: the compiler's own table, not a file-name convention.
    const flagValues = new Set(paramFiles.flatMap((f) => f.ast.statements.flatMap((st) => (st.kind === 'Param' ? [st.value] : []))));
    const fromFlags = new Set(checked.program.definitions.filter((d) => flagValues.has(d.value)));
    for (const [name, text] of expressionParams) {
      const declared = checked.program.definitions.some((d) => d.kind === 'param' && d.name === name && !fromFlags.has(d));
      if (!declared) diagnostics.push(error('E0209', `--param ${name}: the objective has no param \`${name}\``, fileSpan(file), paramsHint(checked.program.winners, fromFlags)));
      else lambdaWarning(name, Number(text), file, diagnostics);
    }
    // A missing loss is expected when an import that may hold it could not be read: not found,
    // unreadable, not a source file, or past the limit on files (a long chain whose end has the loss).
    if (loaded.diagnostics.some((d) => ['E0205', 'E0206', 'E0214', 'E0605'].includes(d.code))) {
      const i = diagnostics.findIndex((d) => d.code === 'E0210');
      if (i >= 0) diagnostics.splice(i, 1);
    }
    for (const [name, value] of Object.entries(overrides)) {
      const def = checked.program.winners.get(name);
      if (def?.kind !== 'param') {
        diagnostics.push(error('E0209', `--param ${name}: the objective has no param \`${name}\``, fileSpan(file), paramsHint(checked.program.winners, fromFlags)));
      } else if (!Number.isFinite(value)) {
        diagnostics.push(error('E0209', `--param ${name}: ${value} is not a finite number`, fileSpan(file)));
      } else {
        lambdaWarning(name, value, file, diagnostics);
      }
    }
    if (hasErrors(diagnostics)) return fail();
    let objective = lowerProgram(checked, file, overrides, fromFlags);
    if (options.optimize !== false) objective = cseObjective(foldObjective(objective)).objective;
    return { objective, diagnostics: sortDiagnostics(diagnostics), sources, overrides: given };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    diagnostics.push(error('E0901', `internal compiler error: ${message}`, fileSpan(file), 'please report this with the source file'));
    return fail();
  }
}

/**
 * W0215 for `--param λ=VALUE` outside [0, 1]. λ mixes two losses (λ·worst group + (1−λ)·ce): outside
 * [0, 1] one of them has a negative weight and is maximised. An expression (a schedule) is not judged.
 */
function lambdaWarning(name: string, value: number, file: string, diagnostics: Diagnostic[]): void {
  if (name !== 'λ' || !Number.isFinite(value) || (value >= 0 && value <= 1)) return;
  diagnostics.push(warning('W0215', `--param λ=${value}: λ is outside [0, 1], so ${value > 1 ? 'ce' : 'the worst group'} gets a negative weight and training maximises it`, fileSpan(file), 'λ = 0 trains plain ce, λ = 1 only the worst group'));
}

function paramsHint(winners: Map<string, Definition>, fromFlags: ReadonlySet<Definition>): string {
  const names = [...winners].filter(([, d]) => d.kind === 'param' && !fromFlags.has(d)).map(([n]) => n);
  return `params: ${names.join(', ')}`;
}

/** Reads `path` (through the host when given) and compiles it; an unreadable file is E0205 (E0214 when it is not a plain source file). */
export function compileFile(path: string, options: Omit<CompileOptions, 'file'> = {}): CompileResult {
  const read = options.host !== undefined ? options.host.readFile(path) : toHostRead(readSourceFile(path));
  if (read === undefined) {
    return { diagnostics: [error('E0205', `cannot read ${path}`, fileSpan(path))], sources: {}, overrides: [] };
  }
  if (typeof read === 'object') {
    return { diagnostics: [error('E0214', `cannot read ${path}: ${read.problem}`, fileSpan(path))], sources: {}, overrides: [] };
  }
  return compile(read, { ...options, file: path });
}

function toHostRead(r: ReturnType<typeof readSourceFile>): string | undefined | { problem: string } {
  if ('text' in r) return r.text;
  return r.problem === 'no such file' ? undefined : r;
}
