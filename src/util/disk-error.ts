// A write that failed because of the disk (full, over quota, read-only, no permission) is the user's
// environment, not a bug in sftgoc: it becomes one line naming the device, the path and roughly how
// much space the write needed, and the run directory stays resumable (every write is atomic).
import { readFileSync, statfsSync } from 'node:fs';
import { resolve, sep } from 'node:path';

const DISK_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']);

export class DiskWriteError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
    /** Roughly how many bytes the failed write needed, when known. */
    readonly neededBytes?: number,
  ) {
    super(describeDiskFailure(path, code, neededBytes));
    this.name = 'DiskWriteError';
  }
}

export function isDiskErrno(e: unknown): e is NodeJS.ErrnoException & { code: string } {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && DISK_CODES.has((e as NodeJS.ErrnoException).code!);
}

/** Turns a disk errno from writing `path` into a DiskWriteError (the errno's own path wins); anything else is returned as it is. */
export function asDiskError(e: unknown, path: string, neededBytes?: number): unknown {
  if (e instanceof DiskWriteError || !isDiskErrno(e)) return e;
  return new DiskWriteError(e.path ?? path, e.code, neededBytes);
}

/** The mount point holding `path` (longest prefix in /proc/self/mounts), for the message. */
function deviceOf(path: string): string | undefined {
  try {
    const abs = resolve(path);
    let best: string | undefined;
    for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
      const fields = line.split(' ');
      const [device, mount] = [fields[0], fields[1]?.replace(/\\040/g, ' ')];
      if (device === undefined || mount === undefined) continue;
      const inside = mount === '/' || abs === mount || abs.startsWith(mount.endsWith(sep) ? mount : mount + sep);
      if (inside && (best === undefined || mount.length >= best.length)) best = mount;
    }
    return best;
  } catch {
    return undefined;
  }
}

function freeBytes(path: string): number | undefined {
  try {
    const s = statfsSync(resolve(path, '..'));
    return s.bavail * s.bsize;
  } catch {
    return undefined;
  }
}

const mb = (bytes: number) => `${bytes >= 1e7 ? Math.round(bytes / 1e6) : (bytes / 1e6).toFixed(1)} MB`;

export function describeDiskFailure(path: string, code: string, neededBytes?: number): string {
  const device = deviceOf(path) ?? 'the device';
  const needs = neededBytes === undefined ? '' : ` (needs ~${mb(neededBytes)}`;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const free = freeBytes(path);
    const detail = needs === '' ? (free === undefined ? '' : ` (${mb(free)} free)`) : `${needs}${free === undefined ? '' : `, ${mb(free)} free`})`;
    return `no space left on ${device} writing ${path}${detail}${code === 'EDQUOT' ? ': disk quota exceeded' : ''}`;
  }
  if (code === 'EROFS') return `${device} is read-only: cannot write ${path}${needs === '' ? '' : `${needs})`}`;
  return `permission denied writing ${path} on ${device}${needs === '' ? '' : `${needs})`}`;
}
