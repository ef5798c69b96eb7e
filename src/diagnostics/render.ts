// The one place where diagnostics become text, in the form CLI.md fixes:
//   FILE:LINE:COL: error[CODE]: message
//      |
//   12 | loss = mean(0.5)
//      |        ^^^^^^^^^
//   help: ...
import type { Diagnostic } from './diagnostic.js';

/** Characters of a source line quoted at most, and how many of them come before the span's start. */
const MAX_QUOTE = 160;
const QUOTE_BEFORE = 40;

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
    // A very long line (generated sources) is quoted as a window around the span, marked with "…".
    const from = chars.length > MAX_QUOTE ? Math.max(0, startCol - 1 - QUOTE_BEFORE) : 0;
    const to = Math.min(chars.length, from + MAX_QUOTE);
    const width = Math.max(1, Math.min(endCol, to + 1) - startCol);
    // Tabs in the prefix stay tabs so the carets line up in a terminal.
    const prefix = (from > 0 ? ' ' : '') + chars.slice(from, startCol - 1).map((c) => (c === '\t' ? '\t' : ' ')).join('');
    out.push(`${pad} |`);
    out.push(`${gutter} | ${from > 0 ? '…' : ''}${chars.slice(from, to).join('')}${to < chars.length ? '…' : ''}`);
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
