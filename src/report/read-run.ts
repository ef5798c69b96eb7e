// Reading a run directory back for `sftgoc report`: config.json (required: it says this is a run),
// metrics.jsonl (required, one JSON object a step) and eval.jsonl (optional). Every problem is a
// line of text naming the file and, for the JSON Lines files, the line; nothing is thrown.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalMetrics, StepMetrics } from '../train/metrics.js';

export interface RunRecords {
  config: Record<string, unknown>;
  metrics: StepMetrics[];
  evals: EvalMetrics[];
}

export type ReadRunResult = { ok: true; run: RunRecords } | { ok: false; errors: string[] };

function readText(path: string): { text?: string; missing?: boolean; error?: string } {
  try {
    return { text: readFileSync(path, 'utf8') };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return err.code === 'ENOENT' ? { missing: true } : { error: `${path}: cannot read: ${err.message}` };
  }
}

const isNumber = (x: unknown): x is number => typeof x === 'number';
const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The fields a chart reads; a line without them is reported instead of drawn as garbage. */
function checkStep(o: Record<string, unknown>, kind: 'metrics' | 'eval'): string | undefined {
  const required = kind === 'metrics' ? ['step', 'lr', 'loss', 'ce'] : ['step', 'loss', 'ce'];
  const missing = required.filter((k) => !isNumber(o[k]));
  if (missing.length > 0) return `missing or non-numeric ${missing.map((k) => `'${k}'`).join(', ')}`;
  if (!isRecord(o.groups)) return `'groups' must be an object {NAME: {loss, tokens}}`;
  for (const [name, g] of Object.entries(o.groups)) {
    if (!isRecord(g) || !isNumber(g.loss) || !isNumber(g.tokens)) return `groups.${name} must be {loss, tokens} with numbers`;
  }
  if (kind === 'metrics' && o.params !== undefined && !isRecord(o.params)) return `'params' must be an object {NAME: value}`;
  return undefined;
}

/** Parses a JSON Lines file of step records; blank lines are skipped, every bad line is reported. */
export function parseStepLines<T>(path: string, text: string, kind: 'metrics' | 'eval'): { records: T[]; errors: string[] } {
  const records: T[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      errors.push(`${path}:${i + 1}: not valid JSON (${(e as Error).message})`);
      return;
    }
    if (!isRecord(value)) {
      errors.push(`${path}:${i + 1}: expected a JSON object, found ${Array.isArray(value) ? 'an array' : typeof value}`);
      return;
    }
    const problem = checkStep(value, kind);
    if (problem !== undefined) errors.push(`${path}:${i + 1}: ${problem}`);
    else records.push(value as T);
  });
  return { records, errors };
}

export function readRun(runDir: string): ReadRunResult {
  if (!existsSync(runDir)) return { ok: false, errors: [`${runDir}: no such directory`] };
  if (!statSync(runDir).isDirectory()) return { ok: false, errors: [`${runDir}: not a directory (give the run directory that sftgoc run wrote)`] };
  const errors: string[] = [];
  const configPath = join(runDir, 'config.json');
  const configText = readText(configPath);
  let config: Record<string, unknown> = {};
  if (configText.missing) errors.push(`${configPath}: not found: ${runDir} is not a run directory written by sftgoc run`);
  else if (configText.error) errors.push(configText.error);
  else {
    try {
      const parsed: unknown = JSON.parse(configText.text!);
      if (isRecord(parsed)) config = parsed;
      else errors.push(`${configPath}: expected a JSON object`);
    } catch (e) {
      errors.push(`${configPath}: not valid JSON (${(e as Error).message})`);
    }
  }
  const metricsPath = join(runDir, 'metrics.jsonl');
  const metricsText = readText(metricsPath);
  let metrics: StepMetrics[] = [];
  if (metricsText.missing) errors.push(`${metricsPath}: not found: the run has not written a step yet`);
  else if (metricsText.error) errors.push(metricsText.error);
  else {
    const parsed = parseStepLines<StepMetrics>(metricsPath, metricsText.text!, 'metrics');
    errors.push(...parsed.errors);
    metrics = parsed.records;
    if (parsed.errors.length === 0 && metrics.length === 0) errors.push(`${metricsPath}: empty: the run has not written a step yet`);
  }
  const evalPath = join(runDir, 'eval.jsonl');
  const evalText = readText(evalPath);
  let evals: EvalMetrics[] = [];
  if (evalText.error) errors.push(evalText.error);
  else if (evalText.text !== undefined) {
    const parsed = parseStepLines<EvalMetrics>(evalPath, evalText.text, 'eval');
    errors.push(...parsed.errors);
    evals = parsed.records;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, run: { config, metrics, evals } };
}
