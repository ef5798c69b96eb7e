// The one check of a directory a command will write into (train.out, compile --out, compare --out),
// made before any work starts and in bounded time: a stat of each missing component on the way up,
// then one probe file created and removed in the deepest directory that exists. Node's recursive
// mkdir loops forever on /proc (mkdir answers ENOENT under an existing parent), so nothing is
// created here and callers create the directory only after this check passed. Writability is tested
// by really creating a file: permission bits say nothing for root, and a read-only mount shows only then.
import { randomBytes } from 'node:crypto';
import { statfsSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** statfs magic numbers of the kernel's pseudo file systems, where a directory can never be written. */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'], [0x62656572, 'sysfs'], [0x64626720, 'debugfs'], [0x73636673, 'securityfs'], [0x27e0eb, 'cgroup'], [0x63677270, 'cgroup2'],
]);

function kind(s: Stats): string {
  if (s.isFile()) return 'a file';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isFIFO()) return 'a FIFO';
  if (s.isSocket()) return 'a socket';
  return 'not a directory';
}

/**
 * Why `dir` cannot be written into as `label` (the flag or setting that named it), or undefined when
 * it can: it is a directory (or can be created under the deepest existing one) on a writable file system.
 */
export function outputDirProblem(dir: string, label: string): string | undefined {
  const abs = resolve(dir);
  const named = (why: string) => `${label} ${dir}: ${why}`;
  let existing = abs;
  let stats: Stats | undefined;
  // Bounded: one stat per path component.
  for (;;) {
    try {
      stats = statSync(existing);
      break;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return named(`cannot be checked (${code ?? (e as Error).message})`);
      const up = dirname(existing);
      if (up === existing) return named('no part of the path exists');
      existing = up;
    }
  }
  if (!stats.isDirectory()) {
    return named(existing === abs ? `exists and is ${kind(stats)}, not a directory` : `${existing} is ${kind(stats)}, not a directory`);
  }
  let fsType: number | undefined;
  try {
    fsType = Number(statfsSync(existing).type);
  } catch {
    fsType = undefined;
  }
  const pseudo = fsType === undefined ? undefined : PSEUDO_FS.get(fsType);
  if (pseudo !== undefined) return named(`${existing} is on the kernel's ${pseudo} file system, where nothing can be written; choose a directory on a disk`);
  const probe = join(existing, `.sftgoc-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'EROFS' ? 'is on a read-only file system'
      : code === 'EACCES' || code === 'EPERM' ? 'is not writable (permission denied)'
        : code === 'ENOSPC' || code === 'EDQUOT' ? 'has no space left'
          : `does not accept new files (${code ?? (e as Error).message})`;
    return named(existing === abs ? why : `${existing} ${why}`);
  }
  try {
    unlinkSync(probe);
  } catch {
    // the probe stays behind only if the directory changed under us; nothing to report
  }
  return undefined;
}
