// Atomic writes, the one copy for the whole program (run directory, checkpoints, model files, fmt,
// report, init, compare): a file or a whole directory is built under a temporary name beside its
// destination and renamed into place, so a crash or a full disk leaves either the old version or
// the complete new one, never a half-written checkpoint that --resume would load or half a
// user's source file.
import { randomBytes } from 'node:crypto';
import { chmod, readdir, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { asDiskError } from './disk-error.js';

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes `data` (text as UTF-8) to `path`; a file that existed keeps its permissions. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = tempName(path);
  try {
    await writeFile(temp, data, { flag: 'wx' });
    // Keep the original's permissions (an executable bit or a read-only group stays as it was).
    const mode = await stat(path).then((s) => s.mode, () => undefined);
    if (mode !== undefined) await chmod(temp, mode & 0o7777);
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw asDiskError(e, path, typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength);
  }
}

/**
 * Creates directory `path` by letting `fill` write into a fresh temporary directory, then renaming
 * it into place. An existing `path` (a checkpoint of the same step saved again) is replaced: it is
 * first renamed aside, so at every instant one complete version exists under some name.
 */
export async function writeDirAtomic(path: string, fill: (dir: string) => Promise<void>, expectedBytes?: number): Promise<void> {
  const temp = tempName(path);
  try {
    await mkdir(dirname(path), { recursive: true });
    await mkdir(temp);
  } catch (e) {
    throw asDiskError(e, temp, expectedBytes);
  }
  try {
    await fill(temp);
    const old = `${temp}.old`;
    const replaced = await rename(path, old).then(() => true, () => false);
    await rename(temp, path);
    if (replaced) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw asDiskError(e, path, expectedBytes);
  }
}

const TEMP_NAME = /^\.(.+)\.tmp-\d+-[0-9a-f]+(\.old)?$/;

/**
 * Removes what interrupted atomic writes left in `dirs` (a process killed during a save). A `.old`
 * copy whose destination is missing (killed between the two renames) is the only complete version:
 * it is moved back instead. Only call this while holding the run directory's lock.
 */
export async function cleanInterruptedWrites(dirs: readonly string[]): Promise<string[]> {
  const removed: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = TEMP_NAME.exec(name);
      if (m === null) continue;
      const leftover = join(dir, name);
      const destination = join(dir, m[1]!);
      if (m[2] !== undefined && !(await stat(destination).then(() => true, () => false))) {
        await rename(leftover, destination);
        continue;
      }
      await rm(leftover, { recursive: true, force: true });
      removed.push(leftover);
    }
  }
  return removed;
}
