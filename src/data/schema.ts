// JSON Schema validation of data records with ajv: one validator per format, compiled once per
// process from schemas/data/*.schema.json, and ajv's errors turned into JSON pointer + message.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { DataFormat } from './types.js';

// ajv is CommonJS; under NodeNext its class is the default export's `default`.
const Ajv = AjvModule.default;

export const DATA_FORMATS: readonly DataFormat[] = ['alpaca', 'chat', 'prompt-completion', 'text', 'responses', 'prompts'];

let validators: Map<DataFormat | 'facts', ValidateFunction> | undefined;

function compileAll(): Map<DataFormat | 'facts', ValidateFunction> {
  const dir = join(packageRoot, 'schemas', 'data');
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addSchema(JSON.parse(readFileSync(join(dir, 'scores.schema.json'), 'utf8')) as object);
  const out = new Map<DataFormat | 'facts', ValidateFunction>();
  for (const format of DATA_FORMATS) {
    out.set(format, ajv.compile(JSON.parse(readFileSync(join(dir, `${format}.schema.json`), 'utf8')) as object));
  }
  // Other formats may carry `facts` as an extra field (loadPrompts reads it): the same rule as in `prompts`.
  out.set('facts', ajv.compile({ $ref: 'https://sftgoc.dev/schemas/data/prompts.schema.json#/definitions/facts' }));
  return out;
}

export interface SchemaProblem {
  pointer: string;
  message: string;
}

function describe(e: ErrorObject, alternatives: readonly string[]): SchemaProblem {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'oneOf':
      // `prompts`: exactly one of prompt and messages. ajv says "must match exactly one schema in oneOf".
      return params.passingSchemas === null
        ? { pointer: e.instancePath, message: `missing required field: one of ${alternatives.join(', ')}` }
        : { pointer: e.instancePath, message: `has more than one of ${alternatives.join(', ')}: give one` };
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
  return problemsOf(validators.get(format)!, record, '');
}

/** Problems of a `facts` field (pointer /facts/…) as the `prompts` schema states them; [] when valid. */
export function validateFacts(facts: unknown): SchemaProblem[] {
  validators ??= compileAll();
  return problemsOf(validators.get('facts')!, facts, '/facts');
}

/** The names of the alternatives of a top-level oneOf of `validate`'s schema (`prompts`: prompt, messages). */
function oneOfFields(validate: ValidateFunction): string[] {
  const branches = (validate.schema as { oneOf?: Array<{ required?: string[] }> }).oneOf ?? [];
  return branches.flatMap((b) => b.required ?? []);
}

function problemsOf(validate: ValidateFunction, value: unknown, prefix: string): SchemaProblem[] {
  if (validate(value)) return [];
  const seen = new Set<string>();
  const problems: SchemaProblem[] = [];
  for (const e of validate.errors ?? []) {
    // A failing oneOf also reports why each branch failed ("missing prompt", "missing messages");
    // the oneOf error itself says it once.
    if (e.schemaPath.startsWith('#/oneOf/')) continue;
    const d = describe(e, oneOfFields(validate));
    const p = { pointer: prefix + d.pointer, message: d.message };
    if (seen.has(p.pointer)) continue;
    seen.add(p.pointer);
    problems.push(p);
  }
  return problems;
}

/**
 * The format a record's fields announce, for `format = "auto"`: a question for generation (prompt
 * or messages, with answer or facts, and no response: no completion, output or responses, and
 * messages that do not end with the assistant's) → prompts; else messages → chat, responses →
 * responses, instruction → alpaca, prompt + completion → prompt-completion, text → text.
 * The `prompts` rule comes first because its `messages` would otherwise read as chat; it requires
 * the absence of every response field, so a training record that also carries `facts` keeps its format.
 */
export function detectFormat(record: unknown): DataFormat | undefined {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return undefined;
  const has = (k: string) => Object.prototype.hasOwnProperty.call(record, k);
  if ((has('answer') || has('facts')) && (has('prompt') || has('messages')) && !has('completion') && !has('output') && !has('responses') && !endsWithAssistant((record as { messages?: unknown }).messages)) return 'prompts';
  if (has('messages')) return 'chat';
  if (has('responses')) return 'responses';
  if (has('instruction')) return 'alpaca';
  if (has('prompt') && has('completion')) return 'prompt-completion';
  if (has('text')) return 'text';
  return undefined;
}

/** A conversation whose last message is the assistant's holds a response (chat), not a question. */
function endsWithAssistant(messages: unknown): boolean {
  if (!Array.isArray(messages) || messages.length === 0) return false;
  const last = messages[messages.length - 1] as { role?: unknown } | null;
  return last !== null && typeof last === 'object' && last.role === 'assistant';
}
