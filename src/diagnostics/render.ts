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

/**
 * ANSI colour for diagnostics: off unless a command turns it on (the CLI does when its stderr is a
 * terminal, src/cli/base-command.ts), so tests, pipes and the library API stay plain text.
 */
let colourByDefault = false;
export function setDiagnosticColour(on: boolean): void {
  colourByDefault = on;
}

/**
 * The usual convention: NO_COLOR (non-empty) turns colour off, FORCE_COLOR (not 0/false) on, else
 * terminals decide. Diagnostics go to stdout or stderr depending on the command and --json, so both
 * streams must be terminals: `sftgoc check x > log` keeps the log plain.
 */
export function wantsColour(streams: ReadonlyArray<{ isTTY?: boolean }>, env: Record<string, string | undefined> = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return streams.every((s) => s.isTTY === true);
}

const SGR = { error: '\x1b[1;31m', warning: '\x1b[1;33m', help: '\x1b[1;36m', gutter: '\x1b[1;34m', bold: '\x1b[1m', reset: '\x1b[0m' };

/**
 * A character as it may reach a terminal: control characters (NUL, ESC, DEL, C1, bidi overrides and
 * line separators) from a source file are shown escaped, `\x1b`, never written raw, so a file cannot
 * move the cursor, recolour or clear the user's terminal. Tabs stay (they align the carets).
 */
export function visibleChar(c: string): string {
  const code = c.codePointAt(0)!;
  if (c === '\t') return c;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return `\\x${code.toString(16).padStart(2, '0')}`;
  if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069) || code === 0x2028 || code === 0x2029) return `\\u{${code.toString(16)}}`;
  return c;
}

/** `text` with every control character escaped (messages and hints may quote the source). */
export function visibleText(text: string): string {
  let out = '';
  for (const c of text) out += c === '\n' ? c : visibleChar(c);
  return out;
}

export function renderDiagnostic(d: Diagnostic, sources: SourceLookup, colour: boolean = colourByDefault): string {
  const paint = (sgr: string, text: string) => (colour ? `${sgr}${text}${SGR.reset}` : text);
  const { span } = d;
  const severity = paint(d.severity === 'error' ? SGR.error : SGR.warning, `${d.severity}[${d.code}]`);
  const head = `${visibleText(span.file)}:${span.start.line}:${span.start.col}: ${severity}: ${paint(SGR.bold, visibleText(d.message))}`;
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
    const shown = chars.map(visibleChar);
    // An escaped character is several columns wide: the carets under it are as wide as what is shown.
    const columns = (a: number, b: number) => shown.slice(a, b).reduce((n, c) => n + c.length, 0);
    const width = Math.max(1, columns(startCol - 1, Math.min(endCol, to + 1) - 1));
    // Tabs in the prefix stay tabs so the carets line up in a terminal.
    const prefix = (from > 0 ? ' ' : '') + shown.slice(from, startCol - 1).map((c) => (c === '\t' ? '\t' : ' '.repeat(c.length))).join('');
    const bar = paint(SGR.gutter, '|');
    out.push(`${pad} ${bar}`);
    out.push(`${paint(SGR.gutter, gutter)} ${bar} ${from > 0 ? '…' : ''}${shown.slice(from, to).join('')}${to < chars.length ? '…' : ''}`);
    out.push(`${pad} ${bar} ${prefix}${paint(d.severity === 'error' ? SGR.error : SGR.warning, '^'.repeat(width))}`);
  }
  if (d.hint !== undefined) out.push(`${paint(SGR.help, 'help')}: ${visibleText(d.hint)}`);
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
