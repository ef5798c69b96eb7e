import { compile, type CompileResult } from '../../src/compile.js';
import { memoryHost } from '../../src/check/host.js';
import { printExpr } from '../../src/ir/print.js';

/** Compiles `source` as main.sftgo with extra in-memory files. */
export function run(source: string, files: Record<string, string> = {}, params?: Record<string, number | string>): CompileResult {
  return compile(source, { file: 'main.sftgo', host: memoryHost({ ...files, 'main.sftgo': source }), params });
}

export function codes(r: CompileResult): string[] {
  return r.diagnostics.map((d) => d.code);
}

/** `code@line:col` of each diagnostic, for compact assertions on positions. */
export function where(r: CompileResult): string[] {
  return r.diagnostics.map((d) => `${d.code}@${d.span.start.line}:${d.span.start.col}`);
}

export function lossText(r: CompileResult): string {
  if (r.objective === undefined) throw new Error(`no objective: ${JSON.stringify(r.diagnostics.map((d) => d.message))}`);
  return printExpr(r.objective.loss);
}
