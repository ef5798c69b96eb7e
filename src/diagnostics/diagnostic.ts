// Errors are data. Every pass returns diagnostics instead of throwing; `render.ts` is the one place
// that turns them into text.
import type { Span } from './span.js';

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  /** Stable code such as `E0101`; documented in docs/diagnostics.md and listed in codes.ts. */
  code: string;
  severity: Severity;
  message: string;
  span: Span;
  /** A fix that can be named, rendered as a `help:` line (did-you-mean, the allowed range, ...). */
  hint?: string;
}

export function error(code: string, message: string, span: Span, hint?: string): Diagnostic {
  return hint === undefined ? { code, severity: 'error', message, span } : { code, severity: 'error', message, span, hint };
}

export function warning(code: string, message: string, span: Span, hint?: string): Diagnostic {
  return hint === undefined ? { code, severity: 'warning', message, span } : { code, severity: 'warning', message, span, hint };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** Diagnostics in source order (file, then offset), so a report reads top to bottom. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) => a.span.file.localeCompare(b.span.file) || a.span.start.offset - b.span.start.offset || a.code.localeCompare(b.code),
  );
}
