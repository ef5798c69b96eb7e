// `sftgoc fmt` as a library: source text in, canonical source text out, or the syntax errors that
// stop it (a file that does not parse is never reformatted).
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { hasErrors } from '../diagnostics/diagnostic.js';
import { parse } from '../parse/index.js';
import { checkLimits } from '../check/limits.js';
import { formatSourceFile } from './format.js';
import { sameTree } from './same-tree.js';

export { formatSourceFile } from './format.js';
export { sameTree, withoutSpans } from './same-tree.js';

export type FormatResult =
  | { ok: true; formatted: string; changed: boolean }
  /** `diagnostics` holds the syntax errors; `internal` is set when the formatter itself went wrong. */
  | { ok: false; diagnostics: Diagnostic[]; internal?: string };

export function formatSource(source: string, file: string): FormatResult {
  const parsed = parse(source, file);
  if (hasErrors(parsed.diagnostics) || parsed.ast === undefined) return { ok: false, diagnostics: parsed.diagnostics };
  // The printer recurses over expressions: one nested past the compiler's bounds is reported, not printed.
  const limits: Diagnostic[] = [];
  checkLimits([{ ast: parsed.ast }], limits);
  const tooDeep = limits.filter((d) => d.code === 'E0602' || d.code === 'E0603');
  if (tooDeep.length > 0) return { ok: false, diagnostics: tooDeep };
  const formatted = formatSourceFile(parsed.ast, source);
  // A formatter bug must never rewrite a user's objective into a different one: re-parse and compare.
  const reparsed = parse(formatted, file);
  if (hasErrors(reparsed.diagnostics) || reparsed.ast === undefined || !sameTree(parsed.ast, reparsed.ast)) {
    return { ok: false, diagnostics: [], internal: `formatting ${file} would change its meaning; the file is left as it is` };
  }
  return { ok: true, formatted, changed: formatted !== source };
}
