// loadDataset: a JSON Lines file to tokenised Samples, with statistics and every error at once.
import type { Tokenizer } from '../tokenizer/types.js';
import { parseJsonl, parseJsonlLines, sortErrors, type ParsedFile } from './jsonl.js';
import { readJsonlLines } from './read-lines.js';
import { PROMPTS_NOT_TRAINING, renderRecord } from './render.js';
import { buildSample } from './sample.js';
import type { SchemaProblem } from './schema.js';
import type { DataError, DataFormat, DatasetStats, LossOn, Sample } from './types.js';

/** Bytes of one data record at most, unless data.max_record_bytes says otherwise. */
export const DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024;

export interface LoadOptions {
  format?: DataFormat | 'auto';
  tokenizer: Tokenizer;
  /** Tokens per sample at most (eos included); undefined: no limit. */
  maxLen?: number;
  lossOn?: LossOn;
  /** Skip bad records and count them, instead of reporting them as errors. */
  skipBadRecords?: boolean;
  /** Bytes of one record at most (data.max_record_bytes); default DEFAULT_MAX_RECORD_BYTES (8 MiB). */
  maxRecordBytes?: number;
}

export interface LoadedDataset {
  /** The format used (asked for, or detected by `auto`). */
  format?: DataFormat;
  samples: Sample[];
  stats: DatasetStats;
  /** Errors that make the data unusable; empty when all went well (or bad records were skipped). */
  errors: DataError[];
  /** With skipBadRecords: what was wrong with each skipped record. */
  skippedRecords: DataError[];
}

/**
 * Reads, parses and validates a JSON Lines file in bounded memory (read-lines.ts): what every loader
 * of records starts with. A file that cannot be read is one error at line 0.
 */
export function readRecords(file: string, format: DataFormat | 'auto', maxRecordBytes = DEFAULT_MAX_RECORD_BYTES): { ok: true; parsed: ParsedFile } | { ok: false; error: DataError } {
  const read = readJsonlLines(file, maxRecordBytes);
  if (!read.ok) return read;
  return { ok: true, parsed: parseJsonlLines(read.lines, read.errors, file, format) };
}

/**
 * The end of every load: an empty file is an error, errors are put in line order, and with
 * skipBadRecords the record-level ones (line > 0, format known) become skipped records, counted by
 * line; file-level errors (line 0, or a format that cannot be told) stay errors.
 */
export function settleErrors(errors: DataError[], parsed: ParsedFile, file: string, skipBadRecords: boolean | undefined): { errors: DataError[]; skippedRecords: DataError[]; skipped: number } {
  if (parsed.lines === 0) errors.push({ file, line: 0, pointer: '', message: 'no records: the file is empty' });
  sortErrors(errors);
  if (!skipBadRecords) return { errors, skippedRecords: [], skipped: 0 };
  const skippedRecords = errors.filter((e) => e.line > 0 && parsed.format !== undefined);
  return { errors: errors.filter((e) => !skippedRecords.includes(e)), skippedRecords, skipped: new Set(skippedRecords.map((e) => e.line)).size };
}

/** Reads and tokenises `file`. Nothing is thrown: a missing file is an error at line 0. */
export function loadDataset(file: string, options: LoadOptions): LoadedDataset {
  const read = readRecords(file, options.format ?? 'auto', options.maxRecordBytes);
  if (!read.ok) return { samples: [], stats: emptyStats(), errors: [read.error], skippedRecords: [] };
  return loadParsed(read.parsed, file, options);
}

export function emptyStats(): DatasetStats {
  return { records: 0, skipped: 0, samples: 0, truncated: 0, dropped: 0, tokens: 0, lossTokens: 0 };
}

/** As loadDataset, from JSON Lines text already in memory; `file` names it in errors. */
export function loadDatasetFromText(text: string, file: string, options: LoadOptions): LoadedDataset {
  return loadParsed(parseJsonl(text, file, options.format ?? 'auto'), file, options);
}

function loadParsed(parsed: ParsedFile, file: string, options: LoadOptions): LoadedDataset {
  const errors: DataError[] = [...parsed.errors];
  const stats = emptyStats();
  stats.records = parsed.lines;
  const samples: Sample[] = [];
  const format = parsed.format;
  if (format === 'prompts') {
    // The whole file, not each record: nothing in it can be trained on, and skipping every record
    // would leave an empty training set with a less helpful message.
    return { format, samples, stats, errors: [{ file, line: 0, pointer: '', message: PROMPTS_NOT_TRAINING }], skippedRecords: [] };
  }
  if (format !== undefined) {
    for (const record of parsed.records) {
      const problems: SchemaProblem[] = [];
      const rendered = renderRecord(format, record.value, options.tokenizer, problems);
      if (problems.length > 0) {
        for (const p of problems) errors.push({ file, line: record.line, pointer: p.pointer, message: p.message });
        continue;
      }
      for (const r of rendered) {
        const sampleOptions = options.maxLen === undefined ? { lossOn: options.lossOn ?? 'response' } : { lossOn: options.lossOn ?? 'response', maxLen: options.maxLen };
        const { sample, truncated, lostResponse } = buildSample(r, options.tokenizer, sampleOptions, samples.length, { file, line: record.line });
        if (truncated) stats.truncated++;
        // Nothing of it would be trained on: counted (run prints it, with a hint about data.max_len).
        if (lostResponse) {
          stats.dropped++;
          continue;
        }
        samples.push(sample);
        stats.tokens += sample.ids.length;
        stats.lossTokens += sample.lossMask.filter((m) => m).length;
      }
    }
  }
  stats.samples = samples.length;
  const settled = settleErrors(errors, parsed, file, options.skipBadRecords);
  stats.skipped = settled.skipped;
  const result: LoadedDataset = { samples, stats, errors: settled.errors, skippedRecords: settled.skippedRecords };
  if (format !== undefined) result.format = format;
  return result;
}
