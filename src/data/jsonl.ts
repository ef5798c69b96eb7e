// Reading JSON Lines: one record a line, blank lines ignored, each parsed and validated against the
// format's schema. Every problem becomes a DataError naming file, line and JSON pointer; nothing is
// thrown, so a file with ten bad lines reports ten errors at once.
import { detectFormat, validateRecord } from './schema.js';
import type { DataError, DataFormat } from './types.js';

export interface ParsedRecord {
  /** 1-based line in the file. */
  line: number;
  value: unknown;
}

export interface ParsedFile {
  /** The format used: the one asked for, or the one `auto` detected; undefined if none could be. */
  format?: DataFormat;
  records: ParsedRecord[];
  /** Problems with records (and lines that are not JSON), in line order. */
  errors: DataError[];
  /** Non-blank lines. */
  lines: number;
}

function firstLine(text: string): string {
  // A UTF-8 byte-order mark is not part of the first record.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Splits, parses and validates JSON Lines text; `file` only names the source in errors. */
export function parseJsonl(text: string, file: string, format: DataFormat | 'auto'): ParsedFile {
  return parseJsonlLines(firstLine(text).split('\n').map((t, i) => ({ line: i + 1, text: t })), [], file, format);
}

/**
 * Parses and validates lines already read (src/data/read-lines.ts reads a file in bounded memory);
 * `lineErrors` are the lines that could not be read (too long, not UTF-8): records, for the counts.
 */
export function parseJsonlLines(lines: readonly { line: number; text: string }[], lineErrors: readonly DataError[], file: string, format: DataFormat | 'auto'): ParsedFile {
  const errors: DataError[] = [...lineErrors];
  const parsed: ParsedRecord[] = [];
  let nonBlank = lineErrors.length;
  for (const { line: lineNo, text: raw } of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') continue;
    nonBlank++;
    try {
      parsed.push({ line: lineNo, value: JSON.parse(line) as unknown });
    } catch (e) {
      errors.push({ file, line: lineNo, pointer: '', message: `not valid JSON: ${(e as Error).message}` });
    }
  }

  let chosen: DataFormat | undefined = format === 'auto' ? undefined : format;
  if (chosen === undefined) {
    chosen = parsed.map((r) => detectFormat(r.value)).find((f) => f !== undefined);
    if (chosen === undefined && parsed.length > 0) {
      const first = parsed[0]!;
      const fields = first.value !== null && typeof first.value === 'object' && !Array.isArray(first.value) ? Object.keys(first.value).join(', ') || 'none' : 'not an object';
      errors.push({ file, line: first.line, pointer: '', message: `cannot tell the data format from the fields (${fields}): expected messages (chat), responses, instruction (alpaca), prompt and completion, text, or prompt or messages with answer or facts (prompts); or set data.format` });
      return { records: [], errors: sortErrors(errors), lines: nonBlank };
    }
  }

  const records: ParsedRecord[] = [];
  for (const r of parsed) {
    const problems = chosen === undefined ? [] : validateRecord(chosen, r.value);
    if (problems.length === 0) records.push(r);
    for (const p of problems) errors.push({ file, line: r.line, pointer: p.pointer, message: p.message });
  }
  const result: ParsedFile = { records, errors: sortErrors(errors), lines: nonBlank };
  if (chosen !== undefined) result.format = chosen;
  return result;
}

export function sortErrors(errors: DataError[]): DataError[] {
  return errors.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** `FILE:LINE: POINTER: message`, or `FILE: message` for the file as a whole. */
export function formatDataError(e: DataError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}` : e.file;
  return e.pointer === '' ? `${where}: ${e.message}` : `${where}: ${e.pointer}: ${e.message}`;
}
