// Compile-or-fail for every command that compiles a file (run, groups, eval, compare): the
// compiler's diagnostics rendered once (warnings too, unless --quiet), and the objective or nothing.
import { renderCompileDiagnostics } from '../diagnostics/output.js';
import type { Output } from '../cli/output.js';
import type { ParamOverride, SetOverride } from '../cli/overrides.js';
import { compileOverrides } from '../cli/compiler-bridge.js';
import { compileFile, type CompileResult } from '../compile.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import type { Objective } from '../ir/nodes.js';

/** Compiles `file` with the command line's overrides, prints its diagnostics, returns the objective when it has no errors. */
export function compileOrFail(
  file: string,
  overrides: { params?: readonly ParamOverride[]; settings?: readonly SetOverride[] },
  out: Output,
  quiet: boolean,
): { objective?: Objective; compiled: CompileResult } {
  const compiled = compileFile(file, compileOverrides({ params: overrides.params ?? [], settings: overrides.settings ?? [] }));
  const rendered = renderCompileDiagnostics(compiled, quiet);
  if (rendered !== '') out.stderr(rendered);
  return { compiled, objective: hasErrors(compiled.diagnostics) ? undefined : compiled.objective };
}
