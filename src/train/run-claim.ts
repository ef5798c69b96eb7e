// A run directory is one sftgoc created, or it is refused. The first thing written into a new run
// directory is MARKER; a directory that exists, holds anything and has no marker belongs to someone
// else (a model folder, a home directory) and is never written into, not even the lock. Run
// directories from before the marker existed are recognised by what only a run writes: config.json
// beside objective.sftgo or metrics.jsonl; they get the marker when next used.
import { existsSync, mkdirSync, readdirSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageVersion } from '../util/package-root.js';

export const MARKER = '.sftgoc-run';

export type Claim = { ok: true; created: boolean } | { ok: false; message: string };

/** True when `dir` is a run directory: it has the marker, or the files of an older run. */
export function isRunDirectory(dir: string): boolean {
  const has = (name: string) => existsSync(join(dir, name));
  return has(MARKER) || (has('config.json') && (has('objective.sftgo') || has('metrics.jsonl')));
}

/**
 * Read-only: may `dir` become or stay a run directory? Call before anything is written into it
 * (outputDirProblem has checked that it can be written).
 */
export function checkClaim(dir: string, label: string): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined; // missing: it will be created
  }
  if (entries.length === 0 || isRunDirectory(dir)) return undefined;
  return `${label} ${dir}: the directory exists, is not empty and was not created by sftgoc (no ${MARKER} file); ` +
    'sftgoc writes only into run directories it created: choose a new or empty directory';
}

/** Creates `dir` if needed and writes the marker first; `created` says whether the directory is new. */
export function claimRunDirectory(dir: string): Claim {
  try {
    const created = !existsSync(dir);
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, MARKER))) {
      writeFileSync(join(dir, MARKER), `${JSON.stringify({ created_by: 'sftgoc', version: packageVersion(), at: new Date().toISOString() })}\n`, { flag: 'w' });
    }
    return { ok: true, created };
  } catch (e) {
    return { ok: false, message: `${dir}: cannot create the run directory: ${(e as Error).message}` };
  }
}

/** Undoes claimRunDirectory for a run that wrote nothing else: the marker, an empty cache/, the directory if it was new. */
export function releaseUnusedClaim(dir: string, created: boolean): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  const emptyCache = () => {
    try {
      return readdirSync(join(dir, 'cache')).length === 0;
    } catch {
      return false;
    }
  };
  if (!entries.every((e) => e === MARKER || (e === 'cache' && emptyCache()))) return;
  try {
    if (entries.includes('cache')) rmdirSync(join(dir, 'cache'));
    unlinkSync(join(dir, MARKER));
    if (created) rmdirSync(dir);
  } catch {
    // a leftover empty directory is harmless
  }
}
