// Reading a source file from disk without trusting it: a path may name a device (/dev/zero), a FIFO
// that never answers, a directory, or a huge file. The file is opened non-blocking, checked with
// fstat on the open descriptor (so it cannot be swapped between the check and the read) and read
// up to the limit plus one byte; its bytes must be UTF-8. The caller gets the text or a reason it
// can print, never the content of a file that failed the checks.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** The largest source file (main file or import) the compiler reads: 1 MiB. */
export const MAX_SOURCE_BYTES = 1024 * 1024;

export type SourceRead = { text: string } | { problem: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function readSourceFile(path: string, limit = MAX_SOURCE_BYTES): SourceRead {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { problem: 'no such file' };
    if (code === 'EACCES' || code === 'EPERM') return { problem: 'permission denied' };
    if (code === 'EISDIR') return { problem: 'is a directory' };
    return { problem: code ?? 'cannot open' };
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return { problem: 'is a directory' };
    if (!stat.isFile()) return { problem: 'not a regular file (a device, FIFO or socket)' };
    if (stat.size > limit) return { problem: `too large (${stat.size} bytes; the limit is ${limit})` };
    const buffer = Buffer.alloc(Math.min(stat.size, limit) + 1);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > limit) return { problem: `too large (more than ${limit} bytes)` };
    try {
      return { text: utf8.decode(buffer.subarray(0, length)) };
    } catch {
      return { problem: 'not UTF-8 text' };
    }
  } catch (err) {
    return { problem: (err as NodeJS.ErrnoException).code ?? String(err) };
  } finally {
    closeSync(fd);
  }
}
