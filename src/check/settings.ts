// Run settings: each `model/reference/data/train { … }` block becomes a plain JSON object, merged
// key by key over the loaded files (a later file wins), validated with ajv against the JSON Schema
// that ships in schemas/. ajv's errors are mapped back to the key or value that caused them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type AjvModule from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { nearest } from '../diagnostics/suggest.js';
import type { Span } from '../diagnostics/span.js';
import type { BlockStatement, Expression } from '../parse/ast.js';
import type { JsonValue, Settings, SettingsBlock, SettingsSpans } from '../language/values.js';
import { packageRoot } from '../util/package-root.js';

export const SETTINGS_BLOCKS: readonly SettingsBlock[] = ['model', 'reference', 'sample', 'data', 'train'];

// ajv takes ~0.2 s to load, so it is required on first use: `check` of a file without settings
// blocks never pays for it. It is CommonJS, so `require` is the synchronous way in from ESM.
type AjvClass = typeof AjvModule.default;
let ajvClass: AjvClass | undefined;
function loadAjv(): AjvClass {
  ajvClass ??= (createRequire(import.meta.url)('ajv') as { default: AjvClass }).default;
  return ajvClass;
}

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
}

const schemas = new Map<SettingsBlock, Schema>();

/** The block's JSON Schema, read once from the package's schemas/ folder. */
export function settingsSchema(block: SettingsBlock): Schema {
  let schema = schemas.get(block);
  if (schema === undefined) {
    schema = JSON.parse(readFileSync(join(packageRoot, 'schemas', `${block}.schema.json`), 'utf8')) as Schema;
    schemas.set(block, schema);
  }
  return schema;
}

const validators = new Map<SettingsBlock, { validate: ValidateFunction; schema: Schema }>();

/** Compiled once per block, on first use, so `check` pays only for the blocks a file has. */
function validatorFor(block: SettingsBlock): { validate: ValidateFunction; schema: Schema } {
  let v = validators.get(block);
  if (v === undefined) {
    const schema = settingsSchema(block);
    const Ajv = loadAjv();
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
    v = { validate: ajv.compile(schema), schema };
    validators.set(block, v);
  }
  return v;
}

/** The JSON of a settings value; `cosine(warmup = 7%)` is {"kind":"cosine","warmup":0.07}. */
function toJson(e: Expression, pointer: string, keySpan: Span, spans: Record<string, { key: Span; value: Span }>, diagnostics: Diagnostic[]): JsonValue | undefined {
  spans[pointer] = { key: keySpan, value: e.span };
  switch (e.kind) {
    case 'Number':
    case 'Percent':
      if (e.kind === 'Percent' && !(e.value >= 0 && e.value <= 1)) {
        diagnostics.push(error('E0501', `percent ${e.text} is outside [0%, 100%]`, e.span, 'write a percent between 0% and 100%'));
        return undefined;
      }
      return e.value;
    case 'String':
    case 'Boolean':
      return e.value;
    case 'Paren':
      return toJson(e.inner, pointer, keySpan, spans, diagnostics);
    case 'Unary':
      if (e.op === '-' && (e.operand.kind === 'Number' || e.operand.kind === 'Percent')) return -e.operand.value;
      break;
    case 'List': {
      const items = e.items.map((item, i) => toJson(item, `${pointer}/${i}`, keySpan, spans, diagnostics));
      return items.every((i) => i !== undefined) ? (items as JsonValue[]) : undefined;
    }
    case 'Identifier':
      // A bare name such as `lr_schedule = constant` is a call without arguments.
      return { kind: e.name };
    case 'Call': {
      const out: Record<string, JsonValue> = { kind: e.callee.name };
      let ok = true;
      if (e.args.some((a) => a.name === undefined) || e.rank !== undefined) break;
      for (const a of e.args) {
        if (a.name === undefined) continue;
        const v = toJson(a.value, `${pointer}/${a.name.name}`, a.name.span, spans, diagnostics);
        if (v === undefined) ok = false;
        else out[a.name.name] = v;
      }
      return ok ? out : undefined;
    }
    default:
      break;
  }
  diagnostics.push(
    error('E0404', 'a settings value must be a number, percent, string, boolean, list or call with keyword arguments', e.span, 'for example `lr = 3e-4` or `lr_schedule = cosine(warmup = 7%)`'),
  );
  return undefined;
}

/** Merges the blocks of all files (later wins), converts and validates them. */
export function checkSettings(blocks: { statement: BlockStatement; file: string; fromFlag?: boolean }[], diagnostics: Diagnostic[]): { settings: Settings; spans: SettingsSpans } {
  const settings: Settings = {};
  const spans: SettingsSpans = {};
  const keywordSpans = new Map<SettingsBlock, Span>();
  const seenInFile = new Map<string, Span>();
  for (const { statement, file, fromFlag } of blocks) {
    const block = statement.block;
    const object = (settings[block] ??= {});
    const blockSpans = (spans[block] ??= {});
    keywordSpans.set(block, statement.keywordSpan);
    for (const entry of statement.entries) {
      const key = entry.key.name;
      const fileKey = `${file}\u0000${block}.${key}`;
      const first = seenInFile.get(fileKey);
      if (first !== undefined) {
        diagnostics.push(error('E0402', `\`${block}.${key}\` is already set in this file (line ${first.start.line})`, entry.key.span, 'delete one of them'));
        continue;
      }
      seenInFile.set(fileKey, entry.key.span);
      // A later file replaces the key, including spans under it.
      for (const p of Object.keys(blockSpans)) if (p === `/${key}` || p.startsWith(`/${key}/`)) delete blockSpans[p];
      // A model's `path` and `preset` (a reference's `path` and `train`) are alternatives: choosing
      // one in a later file (or --set) drops the other.
      const alternative = block === 'model' ? 'preset' : block === 'reference' ? 'train' : undefined;
      const other = alternative === undefined ? undefined : key === 'path' ? alternative : key === alternative ? 'path' : undefined;
      if (other !== undefined && blockSpans[`/${other}`] !== undefined && blockSpans[`/${other}`]!.key.file !== file) {
        delete object[other];
        delete blockSpans[`/${other}`];
      }
      const value = toJson(entry.value, `/${key}`, entry.key.span, blockSpans, diagnostics);
      if (fromFlag === true) blockSpans[`/${key}`]!.fromFlag = true;
      if (value === undefined) delete object[key];
      else object[key] = value;
    }
  }
  for (const block of SETTINGS_BLOCKS) {
    const object = settings[block];
    if (object === undefined) continue;
    const { validate, schema } = validatorFor(block);
    if (!validate(object)) {
      for (const e of validate.errors ?? []) diagnostics.push(settingsDiagnostic(block, e, spans[block] ?? {}, schema, keywordSpans.get(block)!));
    }
    // A model is either a directory or a preset. Checked here rather than with a JSON Schema
    // `oneOf`, whose errors (one per branch) would not say this in one line. A reference model is
    // a directory, "self" or an objective to train, never a preset: randomly initialised weights
    // would make `excess` meaningless.
    if (block === 'model' || block === 'reference') {
      const other = block === 'model' ? 'preset' : 'train';
      const given = ['path', other].filter((k) => k in object);
      if (given.length !== 1) {
        const span = given.length === 2 ? spans[block]?.[`/${other}`]?.key ?? keywordSpans.get(block)! : keywordSpans.get(block)!;
        const forms = block === 'model' ? 'model { path = "DIR" } or model { preset = "tiny" }' : 'reference { train = "FILE.sftgo" }, reference { path = "DIR" } or reference { path = "self" }';
        diagnostics.push(error('E0403', `${block} needs exactly one of \`path\` and \`${other}\``, span, given.length === 2 ? 'delete one of them' : `write ${forms}`));
      }
    }
  }
  return { settings, spans };
}

function settingsDiagnostic(block: SettingsBlock, e: ErrorObject, spans: Record<string, { key: Span; value: Span }>, schema: Schema, blockSpan: Span): Diagnostic {
  const where = `${block}${e.instancePath.replace(/\//g, '.')}`;
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const known = propertiesAt(schema, e.instancePath);
    const suggestion = nearest(key, known);
    const span = spans[`${e.instancePath}/${key}`]?.key ?? spans[e.instancePath]?.value ?? blockSpan;
    const hint = suggestion ? `did you mean \`${suggestion}\`?` : `known keys: ${known.join(', ')}`;
    return error('E0401', `unknown key \`${key}\` in ${where}`, span, hint);
  }
  let pointer = e.instancePath;
  while (pointer !== '' && spans[pointer] === undefined) pointer = pointer.slice(0, pointer.lastIndexOf('/'));
  const span = spans[pointer]?.value ?? blockSpan;
  const hint = e.keyword === 'enum' ? `allowed: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` : undefined;
  return error('E0403', `${where} ${e.message ?? 'is invalid'}`, span, hint);
}

/** The property names a schema allows at a JSON pointer, for did-you-mean. */
function propertiesAt(schema: Schema, pointer: string): string[] {
  let s: Schema | undefined = schema;
  for (const part of pointer.split('/').filter((p) => p !== '')) s = s?.properties?.[part];
  return Object.keys(s?.properties ?? {});
}
