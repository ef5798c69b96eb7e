// `sftgoc compile FILE --emit ast|ir|plan|torch`: prints one stage's output for one file.
//   ast  the parsed tree as JSON (what was written: no imports resolved, no types)
//   ir   the typed objective IR in its text form; under --json the IR itself
//   plan the execution plan of the lowering stage (src/lower/plan.ts): precompute passes, fused
//        head, per-step host masks and device graph, backend, what runs where per engine; under --json the plan as JSON
//   torch the objective as a PyTorch program written into --out DIR (src/engine/torch/); prints the files
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import type { SourceFile } from '../parse/ast.js';
import { readInputs } from './check-files.js';
import { renderAll, sourceLookup } from '../diagnostics/output.js';
import { ExitCode } from './exit-codes.js';
import { outputDirProblem } from '../train/output-dir.js';
import type { Output } from './output.js';
import type { Overrides } from './overrides.js';

export const EMIT_KINDS = ['ast', 'ir', 'plan', 'torch'] as const;
export type EmitKind = (typeof EMIT_KINDS)[number];

export interface CompileOptions {
  emit: EmitKind;
  json: boolean;
  quiet: boolean;
  overrides: Overrides;
  /** --out DIR: where `--emit torch` writes the program. */
  out?: string;
}

/** What `--emit ir` needs from the compiler: diagnostics, the texts they point into, and the IR. */
export interface IrOutput {
  diagnostics: readonly Diagnostic[];
  sources?: Readonly<Record<string, string>>;
  /** Present when there are no errors. */
  ir?: { text: string; json: unknown };
}

export interface CompileStages {
  parse(source: string, file: string): { ast?: SourceFile; diagnostics: readonly Diagnostic[] };
  compileIr(source: string, file: string, overrides: Overrides): Promise<IrOutput> | IrOutput;
  /** The same compilation, with the execution plan as the result (`ir` holds the plan's text and JSON). */
  compilePlan(source: string, file: string, overrides: Overrides): Promise<IrOutput> | IrOutput;
  /** The same compilation, written as a PyTorch program into `out` (`ir` holds the list of files written). */
  compileTorch(source: string, file: string, overrides: Overrides, out: string): Promise<IrOutput>;
}

export async function runCompile(file: string, options: CompileOptions, stages: CompileStages, out: Output): Promise<number> {
  const { sources, problems } = await readInputs([file]);
  const source = sources.get(file);
  if (source === undefined) {
    for (const p of problems) out.stderr(`error: ${p}`);
    return ExitCode.Usage;
  }

  if (options.emit === 'torch' && options.out === undefined) {
    out.stderr('error: --emit torch writes a program folder: give it with --out DIR');
    return ExitCode.Usage;
  }
  // Checked before compiling: a /proc path would otherwise make the program writer's mkdir loop forever.
  const unwritable = options.emit === 'torch' ? outputDirProblem(options.out!, '--out') : undefined;
  if (unwritable !== undefined) {
    out.stderr(`error: ${unwritable}`);
    return ExitCode.InputError;
  }
  let diagnostics: readonly Diagnostic[];
  let texts: ReadonlyMap<string, string> = sources;
  let result: { text: string; json: unknown } | undefined;
  if (options.emit === 'ast') {
    const parsed = stages.parse(source, file);
    diagnostics = parsed.diagnostics;
    if (!hasErrors(diagnostics) && parsed.ast !== undefined) {
      result = { text: JSON.stringify(parsed.ast, null, 2), json: parsed.ast };
    }
  } else {
    const compiled = await (options.emit === 'plan'
      ? stages.compilePlan(source, file, options.overrides)
      : options.emit === 'torch'
        ? stages.compileTorch(source, file, options.overrides, options.out!)
        : stages.compileIr(source, file, options.overrides));
    diagnostics = compiled.diagnostics;
    texts = new Map([...Object.entries(compiled.sources ?? {}), ...sources]);
    if (!hasErrors(diagnostics)) result = compiled.ir;
  }

  if (result === undefined && !hasErrors(diagnostics)) {
    out.stderr(`sftgoc: internal error: compiling ${file} gave neither ${options.emit} nor an error`);
    return ExitCode.Internal;
  }
  // Diagnostics are never the result here: they go to stderr in both modes.
  const rendered = renderAll(diagnostics, sourceLookup(texts), options.quiet);
  if (rendered !== '') out.stderr(rendered);
  if (options.json) {
    out.stdout(JSON.stringify({ ok: result !== undefined, diagnostics, [options.emit]: result?.json ?? null }, null, 2));
  } else if (result !== undefined) {
    out.stdout(result.text);
  }
  return result !== undefined ? ExitCode.Success : ExitCode.InputError;
}
