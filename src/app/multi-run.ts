// What `compare` and `sweep` share as commands that train many runs into one directory: they own
// train.seed and train.out (a --set for either would be silently overridden, so it is refused), and
// their default directory is named by the time it was made.
import type { ParamOverride, SetOverride } from '../cli/overrides.js';

/** The options `compare` and `sweep` share. */
export interface MultiRunOptions {
  params: readonly ParamOverride[];
  settings: readonly SetOverride[];
  seeds: readonly number[];
  /** The directory of all the runs (default runs/<command>-<time>). */
  out?: string;
  backend?: string;
  skipBadRecords: boolean;
  quiet: boolean;
  json: boolean;
  /** --generate: each final model also answers the questions (the file's data.questions unless given). */
  generate?: { questions?: string; limit?: number; maxNew?: number };
}

/** Usage problems of --set flags for train.seed / train.out, which `command` sets itself. */
export function ownedSettingProblems(settings: readonly SetOverride[], command: string): string[] {
  return settings
    .filter((s) => s.block === 'train' && (s.key === 'seed' || s.key === 'out'))
    .map((s) => `--set ${s.flag}: ${command} sets train.${s.key} itself (${s.key === 'seed' ? 'use --seeds' : 'use --out DIR'})`);
}

/** `2026-12-05T23-30-00`: a directory name from the current time (no colons, for every file system). */
export function runTimestamp(): string {
  return new Date().toISOString().replace(/:/g, '-').replace(/\..*$/, '');
}
