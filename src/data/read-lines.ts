// Reading a JSON Lines file in bounded memory: the file is read in chunks and split at newline
// bytes, and a line longer than the record limit is dropped as it streams by (a 50 MB record costs
// one chunk of memory, not 50 MB of string and a JSON parse). Each line must be UTF-8: bytes that
// are not become an error at FILE:LINE instead of U+FFFD characters that would be trained on.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { DataError } from './types.js';

export interface SourceLine {
  /** 1-based. */
  line: number;
  text: string;
}

export type LinesResult = { ok: true; lines: SourceLine[]; errors: DataError[] } | { ok: false; error: DataError };

const CHUNK = 1 << 20;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Offset of the first byte that does not start or continue a valid UTF-8 sequence. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    for (let k = 1; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong 3/4-byte forms, surrogates and code points past U+10FFFF.
    const b1 = bytes[i + 1] ?? 0;
    if ((b === 0xe0 && b1 < 0xa0) || (b === 0xed && b1 >= 0xa0) || (b === 0xf0 && b1 < 0x90) || (b === 0xf4 && b1 >= 0x90)) return i;
    i += n;
  }
  return -1;
}

export function readJsonlLines(file: string, maxRecordBytes: number): LinesResult {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const message = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such data file' : `cannot read: ${(e as Error).message}`;
    return { ok: false, error: { file, line: 0, pointer: '', message } };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, error: { file, line: 0, pointer: '', message: 'not a regular file (a directory, device or FIFO)' } };
    const lines: SourceLine[] = [];
    const errors: DataError[] = [];
    const buffer = Buffer.alloc(CHUNK);
    let parts: Buffer[] = [];
    let length = 0;
    let tooLong = false;
    let lineNo = 1;
    const finish = () => {
      if (tooLong) {
        errors.push({ file, line: lineNo, pointer: '', message: `the record is larger than data.max_record_bytes (${length} bytes; the limit is ${maxRecordBytes})` });
      } else if (length > 0) {
        const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts, length);
        try {
          let text = utf8.decode(bytes);
          if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
          lines.push({ line: lineNo, text });
        } catch {
          errors.push({ file, line: lineNo, pointer: '', message: `not valid UTF-8 (byte ${firstInvalidUtf8(bytes) + 1} of the line); re-encode the file as UTF-8` });
        }
      }
      parts = [];
      length = 0;
      tooLong = false;
      lineNo++;
    };
    const add = (slice: Buffer) => {
      if (slice.length === 0) return;
      length += slice.length;
      if (tooLong) return;
      if (length > maxRecordBytes) {
        tooLong = true;
        parts = [];
        return;
      }
      parts.push(Buffer.from(slice)); // a copy: the chunk buffer is reused
    };
    for (;;) {
      const n = readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      let start = 0;
      for (;;) {
        const nl = buffer.indexOf(0x0a, start);
        if (nl < 0 || nl >= n) break;
        add(buffer.subarray(start, nl));
        finish();
        start = nl + 1;
      }
      add(buffer.subarray(start, n));
    }
    if (length > 0 || tooLong) finish();
    return { ok: true, lines, errors };
  } finally {
    closeSync(fd);
  }
}
