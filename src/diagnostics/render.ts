// The one place where diagnostics become text, in the form CLI.md fixes:
//   FILE:LINE:COL: error[CODE]: message
//      |
//   12 | loss = mean(0.5)
//      |        ^^^^^^^^^
//   help: ...
import type { Diagnostic } from './diagnostic.js';

/** Source text by file name, so the renderer can quote the offending line. */
export type SourceLookup = (file: string) => string | undefined;

export function renderDiagnostic(d: Diagnostic, sources: SourceLookup): string {
  const { span } = d;
  const head = `${span.file}:${span.start.line}:${span.start.col}: ${d.severity}[${d.code}]: ${d.message}`;
  const out = [head];
  const source = sources(span.file);
  if (source !== undefined) {
    const lines = source.split('\n');
    const lineText = (lines[span.start.line - 1] ?? '').replace(/\r$/, '');
    const gutter = String(span.start.line);
    const pad = ' '.repeat(gutter.length);
    const chars = Array.from(lineText);
    // Carets run under the whole span; a span over several lines is underlined to the end of its first line.
    const startCol = Math.min(span.start.col, chars.length + 1);
    const endCol = span.end.line === span.start.line ? Math.max(span.end.col, startCol + 1) : chars.length + 1;
    const width = Math.max(1, endCol - startCol);
    // Tabs in the prefix stay tabs so the carets line up in a terminal.
    const prefix = chars.slice(0, startCol - 1).map((c) => (c === '\t' ? '\t' : ' ')).join('');
    out.push(`${pad} |`);
    out.push(`${gutter} | ${chars.join('')}`);
    out.push(`${pad} | ${prefix}${'^'.repeat(width)}`);
  }
  if (d.hint !== undefined) out.push(`help: ${d.hint}`);
  return out.join('\n');
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[], sources: SourceLookup): string {
  return diagnostics.map((d) => renderDiagnostic(d, sources)).join('\n\n');
}

/** A one-line summary such as `3 errors, 1 warning`. */
export function summarize(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}
