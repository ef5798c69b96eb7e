// Atomic writes, the one copy for the whole program (run directory, checkpoints, model files, fmt,
// report, init, compare): a file or a whole directory is built under a temporary name beside its
// destination and renamed into place, so a crash or a full disk leaves either the old version or
// the complete new one, never a half-written checkpoint that --resume would load or half a
// user's source file.
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
    throw e;
  }
}

/**
 * Creates directory `path` by letting `fill` write into a fresh temporary directory, then renaming
 * it into place. An existing `path` (a checkpoint of the same step saved again) is replaced: it is
 * first renamed aside, so at every instant one complete version exists under some name.
 */
export async function writeDirAtomic(path: string, fill: (dir: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = tempName(path);
  await mkdir(temp);
  try {
    await fill(temp);
    const old = `${temp}.old`;
    const replaced = await rename(path, old).then(() => true, () => false);
    await rename(temp, path);
    if (replaced) await rm(old, { recursive: true, force: true });
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
}
