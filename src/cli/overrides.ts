// The command line's overrides of a file: `--param NAME=VALUE` and `--set block.key=VALUE`.
// Values stay source text here: the compiler parses a param's value as an expression
// (`--param λ=0.5`, `--param η=20%`, `--param λ='linear(0.9 -> 0.05)'`) and checks it like one
// written in the file. A malformed flag is a usage error (exit 2) that quotes the flag.
import { canonicalName, GREEK_LETTERS } from '../language/builtins.js';
import type { BlockName } from '../parse/ast.js';

export interface ParamOverride {
  /** Canonical name: Greek aliases folded (`lambda` → `λ`), as the parser folds identifiers. */
  name: string;
  /** The value as typed, to be parsed as an expression. */
  text: string;
  /** The whole flag value as typed, for error messages. */
  flag: string;
}

export interface SetOverride {
  block: BlockName;
  key: string;
  text: string;
  flag: string;
}

export interface Overrides {
  params: ParamOverride[];
  settings: SetOverride[];
}

export type OverrideResult = { ok: true; overrides: Overrides } | { ok: false; errors: string[] };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BLOCKS: readonly BlockName[] = ['model', 'reference', 'sample', 'data', 'train'];

function isName(s: string): boolean {
  return IDENTIFIER.test(s) || GREEK_LETTERS.has(s);
}


/** Splits `LEFT=VALUE` at the first `=`; the value may itself contain `=` (`f(x = 1)`). */
function splitAssignment(flag: string): { left: string; text: string } | undefined {
  const eq = flag.indexOf('=');
  if (eq < 0) return undefined;
  const left = flag.slice(0, eq).trim();
  const text = flag.slice(eq + 1).trim();
  return text === '' ? undefined : { left, text };
}

export function parseOverrides(paramFlags: readonly string[] = [], setFlags: readonly string[] = []): OverrideResult {
  const errors: string[] = [];
  const params: ParamOverride[] = [];
  const settings: SetOverride[] = [];
  const seenParams = new Map<string, string>();
  for (const flag of paramFlags) {
    const parts = splitAssignment(flag);
    if (parts === undefined || !isName(parts.left)) {
      errors.push(`--param ${JSON.stringify(flag)}: expected NAME=VALUE, e.g. --param λ=0.5 or --param eta=20%`);
      continue;
    }
    const name = canonicalName(parts.left);
    const earlier = seenParams.get(name);
    if (earlier !== undefined) {
      errors.push(`--param ${JSON.stringify(flag)}: ${name} is already set by --param ${JSON.stringify(earlier)}`);
      continue;
    }
    seenParams.set(name, flag);
    params.push({ name, text: parts.text, flag });
  }
  for (const flag of setFlags) {
    const parts = splitAssignment(flag);
    const path = parts?.left.split('.');
    if (parts === undefined || path === undefined || path.length !== 2 || !path.every((p) => IDENTIFIER.test(p))) {
      errors.push(`--set ${JSON.stringify(flag)}: expected BLOCK.KEY=VALUE, e.g. --set train.lr=1e-4`);
      continue;
    }
    const [block, key] = path as [string, string];
    if (!(BLOCKS as readonly string[]).includes(block)) {
      errors.push(`--set ${JSON.stringify(flag)}: unknown block '${block}'; the blocks are ${BLOCKS.join(', ')}`);
      continue;
    }
    settings.push({ block: block as BlockName, key, text: parts.text, flag });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, overrides: { params, settings } };
}
