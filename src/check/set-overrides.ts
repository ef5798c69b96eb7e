// `--set block.key=VALUE` overrides. Each becomes a one-entry settings block marked `fromFlag`,
// placed after every source file so it wins the key-by-key merge, and validated like any other
// entry; its diagnostics name the flag (`--set block.key`) and quote the synthetic line. VALUE is settings
// syntax (`1e-4`, `7%`, `[0.9, 0.95]`, `cosine(warmup = 5%)`); a bare word or anything that does
// not parse is a string (`--set train.out=runs/x`), except that a bare word for a key whose schema
// wants an object is a call without arguments (`--set train.lr_schedule=constant`).
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { fileSpan } from '../diagnostics/span.js';
import { nearest } from '../diagnostics/suggest.js';
import type { BlockStatement, Expression, SourceFile } from '../parse/ast.js';
import type { SettingsBlock } from '../language/values.js';
import { SETTINGS_BLOCKS, settingsSchema } from './settings.js';
import { overrideLabel } from '../language/overrides.js';

export interface SettingOverride {
  /** `block.key`, e.g. `train.lr`. */
  key: string;
  /** The text after `=`. */
  value: string;
}

type ParseFn = (source: string, file: string) => { ast: SourceFile; diagnostics: Diagnostic[] };

export function overrideBlocks(
  overrides: readonly SettingOverride[],
  parse: ParseFn,
  diagnostics: Diagnostic[],
  sources: Record<string, string>,
): { statement: BlockStatement; file: string; fromFlag: true }[] {
  const out: { statement: BlockStatement; file: string; fromFlag: true }[] = [];
  // As with other command-line flags, the last `--set` of a key wins.
  const lastOfKey = new Map(overrides.map((o) => [o.key, o]));
  for (const o of lastOfKey.values()) {
    const file = overrideLabel({ kind: 'set', ...o });
    const dot = o.key.indexOf('.');
    const block = o.key.slice(0, Math.max(dot, 0));
    const key = o.key.slice(dot + 1);
    if (dot < 0 || !(SETTINGS_BLOCKS as readonly string[]).includes(block) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      sources[file] = `${o.key}=${o.value}`;
      const suggestion = dot < 0 ? undefined : nearest(block, SETTINGS_BLOCKS);
      diagnostics.push(
        error('E0401', `--set ${o.key}: expected block.key with a block of ${SETTINGS_BLOCKS.join(', ')}`, fileSpan(file), suggestion ? `did you mean \`${suggestion}.${key}\`?` : undefined),
      );
      continue;
    }
    const wantsObject = settingsSchema(block as SettingsBlock).properties?.[key]?.type === 'object';
    const attempt = (valueText: string) => {
      const text = `${block} { ${key} = ${valueText} }`;
      const parsed = parse(text, file);
      const statement = parsed.ast.statements[0];
      const ok = parsed.diagnostics.length === 0 && parsed.ast.statements.length === 1 && statement?.kind === 'Block' && statement.entries.length === 1;
      return ok ? { text, statement: statement as BlockStatement } : undefined;
    };
    let result = attempt(o.value);
    if (result !== undefined && !looksLikeSetting(result.statement.entries[0]!.value, wantsObject)) result = undefined;
    result ??= attempt(JSON.stringify(o.value));
    if (result === undefined) {
      sources[file] = `${o.key}=${o.value}`;
      diagnostics.push(error('E0404', `--set ${o.key}: cannot read the value ${JSON.stringify(o.value)}`, fileSpan(file)));
      continue;
    }
    sources[file] = result.text;
    out.push({ statement: result.statement, file, fromFlag: true });
  }
  return out;
}

/** Whether a parsed VALUE is meant as settings syntax; `runs/x-1` parses as arithmetic but is a path. */
function looksLikeSetting(e: Expression, wantsObject: boolean): boolean {
  switch (e.kind) {
    case 'Number':
    case 'Percent':
    case 'String':
    case 'Boolean':
    case 'List':
    case 'Call':
      return true;
    case 'Unary':
      return e.op === '-' && (e.operand.kind === 'Number' || e.operand.kind === 'Percent');
    case 'Identifier':
      return wantsObject;
    default:
      return false;
  }
}
