// One run at a time per run directory. `sftgoc run` and `--resume` hold a lock on the directory for
// their whole life (proper-lockfile: an atomic mkdir of DIR/.lock whose mtime the holder refreshes);
// a second run on the same directory is refused with the holder's pid, host and command instead of
// interleaving its metrics with the first. The holder's identity is written inside the lock, so a
// lock left by a process killed with kill -9 is recognised at once (same host, pid gone) and taken
// over; on another host it is stale once its mtime stops moving for STALE_MS.
import { mkdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';

/** A lock whose mtime has not moved for this long is stale even when its holder cannot be checked. */
const STALE_MS = 60_000;
/** How often the holder refreshes the lock's mtime (the event loop runs between training steps). */
const UPDATE_MS = 10_000;

interface Holder {
  pid: number;
  host: string;
  started: string;
  command: string;
}

export interface RunLock {
  release(): Promise<void>;
}

export type LockResult = { ok: true; lock: RunLock; tookOver?: Holder } | { ok: false; message: string };

function lockDir(runDir: string): string {
  return join(runDir, '.lock');
}

function readHolder(runDir: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(join(lockDir(runDir), 'holder.json'), 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(h: Holder | undefined): string {
  return h === undefined ? 'a process that is still starting' : `pid ${h.pid} on ${h.host} (started ${h.started}: ${h.command})`;
}

/** Takes the run directory's lock (creating the directory), or says who holds it. */
export async function lockRunDirectory(runDir: string, onNote: (line: string) => void = () => undefined): Promise<LockResult> {
  mkdirSync(runDir, { recursive: true });
  let tookOver: Holder | undefined;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const release = await lockfile.lock(runDir, {
        lockfilePath: lockDir(runDir), realpath: false, stale: STALE_MS, update: UPDATE_MS,
        // A late refresh (a long synchronous step) must not crash the run; the pid check still protects it.
        onCompromised: (err) => onNote(`warning: the lock on ${runDir} could not be refreshed (${err.message})`),
      });
      const holder: Holder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), command: process.argv.slice(1).join(' ') };
      // proper-lockfile checks that the lock's mtime is still the one it set; adding a file to the
      // directory changes it, so the mtime is put back.
      const { mtime } = statSync(lockDir(runDir));
      writeFileSync(join(lockDir(runDir), 'holder.json'), `${JSON.stringify(holder)}\n`);
      utimesSync(lockDir(runDir), mtime, mtime);
      return {
        ok: true, tookOver,
        lock: {
          async release() {
            // The lock is a directory: empty it before proper-lockfile removes it.
            try {
              unlinkSync(join(lockDir(runDir), 'holder.json'));
            } catch {
              // already gone
            }
            await release().catch(() => undefined);
          },
        },
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const holder = readHolder(runDir);
      const sameHost = holder !== undefined && holder.host === hostname();
      const dead = sameHost && holder.pid !== process.pid && !alive(holder.pid);
      // On this host the pid decides; a holder on another host is dead when proper-lockfile found the
      // lock stale by mtime (and could not remove it because holder.json is inside: ENOTEMPTY).
      if (attempt === 0 && (dead || (!sameHost && code === 'ENOTEMPTY'))) {
        tookOver = holder;
        rmSync(lockDir(runDir), { recursive: true, force: true });
        onNote(`note: ${runDir} was locked by ${describe(holder)}, which is no longer running; taking the lock over`);
        continue;
      }
      if (code === 'ELOCKED' || code === 'ENOTEMPTY') {
        return { ok: false, message: `${runDir} is in use by another sftgoc run: ${describe(holder)}; wait for it to finish or stop it (a lock of a process that died is taken over automatically)` };
      }
      return { ok: false, message: `${runDir}: cannot lock the run directory: ${(e as Error).message}` };
    }
  }
  return { ok: false, message: `${runDir}: cannot lock the run directory` };
}
