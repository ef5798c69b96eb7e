// JSON Schema validation of data records with ajv: one validator per format, compiled once per
// process from schemas/data/*.schema.json, and ajv's errors turned into JSON pointer + message.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../check/host.js';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { DataFormat } from './types.js';

// ajv is CommonJS; under NodeNext its class is the default export's `default`.
const Ajv = AjvModule.default;

export const DATA_FORMATS: readonly DataFormat[] = ['alpaca', 'chat', 'prompt-completion', 'text', 'responses'];

let validators: Map<DataFormat, ValidateFunction> | undefined;

function compileAll(): Map<DataFormat, ValidateFunction> {
  const dir = join(packageRoot, 'schemas', 'data');
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addSchema(JSON.parse(readFileSync(join(dir, 'scores.schema.json'), 'utf8')) as object);
  const out = new Map<DataFormat, ValidateFunction>();
  for (const format of DATA_FORMATS) {
    out.set(format, ajv.compile(JSON.parse(readFileSync(join(dir, `${format}.schema.json`), 'utf8')) as object));
  }
  return out;
}

export interface SchemaProblem {
  pointer: string;
  message: string;
}

function describe(e: ErrorObject): SchemaProblem {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { pointer: `${e.instancePath}/${String(params.missingProperty)}`, message: 'missing required field' };
    case 'enum':
      return { pointer: e.instancePath, message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}` };
    case 'not':
      return { pointer: e.instancePath, message: 'not allowed here: in `responses` records, put scores inside each response' };
    default:
      return { pointer: e.instancePath, message: e.message ?? e.keyword };
  }
}

/** Every schema problem of `record` as `format`, deduplicated by pointer; [] when it is valid. */
export function validateRecord(format: DataFormat, record: unknown): SchemaProblem[] {
  validators ??= compileAll();
  const validate = validators.get(format)!;
  if (validate(record)) return [];
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const e of validate.errors ?? []) {
    const p = describe(e);
    if (seen.has(p.pointer)) continue;
    seen.add(p.pointer);
    problems.push(p);
  }
  return problems;
}

/**
 * The format a record's fields announce, for `format = "auto"`: messages → chat, responses →
 * responses, instruction → alpaca, prompt + completion → prompt-completion, text → text.
 */
export function detectFormat(record: unknown): DataFormat | undefined {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(record, k);
  if (has('messages')) return 'chat';
  if (has('responses')) return 'responses';
  if (has('instruction')) return 'alpaca';
  if (has('prompt') && has('completion')) return 'prompt-completion';
  if (has('text')) return 'text';
  return undefined;
}
