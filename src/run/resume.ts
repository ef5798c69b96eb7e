// `sftgoc run --resume DIR` needs nothing else: the run directory recorded its objective
// (objective.sftgo, and in config.json the source file it came from), the command line's overrides,
// its settings, params and engine. This file reads that record, completes the request from it, and
// after compiling compares what would run now with what ran, so that a resume never mixes two runs:
// a FILE, --param, --set or --engine that disagrees is an error naming the difference. The one
// change allowed is train.steps, to extend (or shorten) a run; the resume records it in config.json.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EngineName } from '../engine/types.js';
import { overrideLabel, type Override } from '../language/overrides.js';

/** What a run directory recorded about its run. */
export interface RecordedRun {
  dir: string;
  /** config.json as written (settings, params, backend, engine, overrides). */
  config: Record<string, unknown> & { train?: Record<string, unknown>; params?: Record<string, string> };
  /** objective.sftgo: the source as run. */
  objectiveText: string;
  /** The objective file the run was started from (absolute). */
  source?: string;
  /** The command line's overrides; absent in run directories older than this record. */
  overrides?: Override[];
  engine: EngineName;
}

export type Resumed<T> = ({ ok: true } & T) | { ok: false; messages: string[] };

/** The override that extends a run: allowed to differ on a resume. */
const STEPS_LABEL = '--set train.steps';

export function readRecordedRun(dir: string): Resumed<{ run: RecordedRun }> {
  const configFile = join(dir, 'config.json');
  if (!existsSync(dir)) return { ok: false, messages: [`--resume ${dir}: no such directory`] };
  if (!existsSync(configFile)) return { ok: false, messages: [`--resume ${dir}: not a run directory (no config.json)`] };
  let config: RecordedRun['config'];
  let objectiveText: string;
  try {
    config = JSON.parse(readFileSync(configFile, 'utf8')) as RecordedRun['config'];
    objectiveText = readFileSync(join(dir, 'objective.sftgo'), 'utf8');
  } catch (e) {
    return { ok: false, messages: [`--resume ${dir}: the run's record cannot be read: ${(e as Error).message}`] };
  }
  const engineEntry = config.engine as { name?: string } | undefined;
  const engine = (engineEntry?.name ?? config.train?.engine ?? 'tfjs') as EngineName;
  const overrides = Array.isArray(config.overrides) ? (config.overrides as Override[]) : undefined;
  return { ok: true, run: { dir, config, objectiveText, source: typeof config.source === 'string' ? config.source : undefined, overrides, engine } };
}

const overrideValue = (o: Override) => String(o.value);

/**
 * The request completed from the record: FILE (the recorded source when none is given), the
 * recorded overrides with the command line's merged in (the same value again is fine; another value
 * is an error, except train.steps), and the recorded engine unless --engine names the same one.
 */
export function completeRequest<R extends { file?: string; compile: { overrides?: readonly Override[] }; engine?: EngineName; backend?: string }>(
  request: R, run: RecordedRun,
): Resumed<{ request: R & { file: string } }> {
  const messages: string[] = [];
  const file = request.file ?? run.source;
  if (file === undefined) return { ok: false, messages: [`--resume ${run.dir}: config.json does not say which objective file the run used; give it: sftgoc run FILE --resume ${run.dir}`] };
  if (request.file === undefined && !existsSync(file)) {
    messages.push(`--resume ${run.dir}: the run was started from ${file}, which no longer exists; give the objective file: sftgoc run FILE --resume ${run.dir}`);
  }
  if (request.engine !== undefined && request.engine !== run.engine) {
    messages.push(`--engine ${request.engine}: the run in ${run.dir} trained with the ${run.engine} engine; a resume continues in it (leave --engine out)`);
  }
  const recordedBackend = run.config.train?.backend;
  if (request.backend !== undefined && typeof recordedBackend === 'string' && request.backend !== recordedBackend) {
    messages.push(`--backend ${request.backend}: the run in ${run.dir} recorded train.backend = ${recordedBackend}; a resume continues on it (leave --backend out)`);
  }
  const merged = new Map<string, Override>((run.overrides ?? []).map((o) => [overrideLabel(o), o]));
  for (const o of request.compile.overrides ?? []) {
    const label = overrideLabel(o);
    const recorded = merged.get(label);
    if (recorded !== undefined && overrideValue(recorded) !== overrideValue(o) && label !== STEPS_LABEL && label !== '--set train.out') {
      messages.push(`${label}=${overrideValue(o)}: the run in ${run.dir} recorded ${label}=${overrideValue(recorded)}; a resume keeps the run's settings (only train.steps may change)`);
      continue;
    }
    merged.set(label, o);
  }
  if (messages.length > 0) return { ok: false, messages };
  return {
    ok: true,
    request: { ...request, file, engine: run.engine, compile: { ...request.compile, overrides: [...merged.values()] } },
  };
}

/** objective.sftgo without its block of --set overrides (those are compared as settings). */
function withoutOverrideBlock(text: string): string {
  return text.replace(/\n# ---- command-line overrides \(--set\) ----\n(?:# \|[^\n]*\n)*/, '\n');
}

/** Leaves of a JSON value by dotted path, for naming the first setting that differs. */
function leaves(value: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else {
    out.set(prefix, JSON.stringify(value ?? null));
  }
  return out;
}

/** Settings that may differ on a resume: the directory itself, the length, where and how the engine runs. */
const MAY_DIFFER = new Set(['train.steps', 'train.out', 'train.nproc', 'train.device', 'train.deterministic', 'train.precision']);

/**
 * What would run now against what ran: the objective's source and every resolved setting and param.
 * Each difference is one line naming it; `steps` says whether train.steps changed (allowed).
 */
export function compareWithRecord(
  run: RecordedRun,
  now: { file: string; objectiveName: string; record: string; settings: Record<string, unknown>; params: Record<string, string> },
): { differences: string[]; steps?: { from: unknown; to: unknown } } {
  const differences: string[] = [];
  const recordedName = run.config.objective;
  if (typeof recordedName === 'string' && recordedName !== now.objectiveName) {
    differences.push(`${now.file} is the objective '${now.objectiveName}'; the run in ${run.dir} trained '${recordedName}' (${join(run.dir, 'objective.sftgo')})`);
  } else if (withoutOverrideBlock(now.record) !== withoutOverrideBlock(run.objectiveText)) {
    const a = withoutOverrideBlock(run.objectiveText).split('\n');
    const b = withoutOverrideBlock(now.record).split('\n');
    let i = 0;
    while (i < Math.max(a.length, b.length) && a[i] === b[i]) i++;
    differences.push(
      `${now.file} differs from the objective the run in ${run.dir} recorded (${join(run.dir, 'objective.sftgo')}), first at line ${i + 1}: ` +
        `${JSON.stringify(a[i] ?? '(end of file)')} then, ${JSON.stringify(b[i] ?? '(end of file)')} now`,
    );
  }
  const before = new Map<string, string>();
  const after = new Map<string, string>();
  for (const block of ['model', 'reference', 'data', 'train']) {
    leaves(run.config[block], block, before);
    leaves(now.settings[block], block, after);
  }
  let steps: { from: unknown; to: unknown } | undefined;
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const [was, is] = [before.get(key) ?? 'null', after.get(key) ?? 'null'];
    if (was === is || key === 'train.backend' || key === 'train.engine') continue;
    if (key === 'train.steps') steps = { from: JSON.parse(was), to: JSON.parse(is) };
    else if (!MAY_DIFFER.has(key) && !samePath(was, is)) differences.push(`${key}: the run in ${run.dir} recorded ${was}, this resume would use ${is}`);
  }
  for (const [name, value] of Object.entries(now.params)) {
    const was = run.config.params?.[name];
    if (was !== undefined && was !== value) differences.push(`param ${name}: the run in ${run.dir} recorded ${was}, this resume would use ${value}`);
  }
  return { differences, steps };
}

/** Paths compare as files (config.json records them resolved); other values as JSON text. */
function samePath(a: string, b: string): boolean {
  const pa = JSON.parse(a) as unknown;
  const pb = JSON.parse(b) as unknown;
  return typeof pa === 'string' && typeof pb === 'string' ? resolve(pa) === resolve(pb) : a === b;
}
