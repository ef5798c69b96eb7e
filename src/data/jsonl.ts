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
  const errors: DataError[] = [];
  const parsed: ParsedRecord[] = [];
  const lines = firstLine(text).split('\n');
  let nonBlank = 0;
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    nonBlank++;
    try {
      parsed.push({ line: i + 1, value: JSON.parse(line) as unknown });
    } catch (e) {
      errors.push({ file, line: i + 1, pointer: '', message: `not valid JSON: ${(e as Error).message}` });
    }
  });

  let chosen: DataFormat | undefined = format === 'auto' ? undefined : format;
  if (chosen === undefined) {
    chosen = parsed.map((r) => detectFormat(r.value)).find((f) => f !== undefined);
    if (chosen === undefined && parsed.length > 0) {
      const first = parsed[0]!;
      const fields = first.value !== null && typeof first.value === 'object' && !Array.isArray(first.value) ? Object.keys(first.value).join(', ') || 'none' : 'not an object';
      errors.push({ file, line: first.line, pointer: '', message: `cannot tell the data format from the fields (${fields}): expected messages (chat), responses, instruction (alpaca), prompt and completion, or text; or set data.format` });
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
