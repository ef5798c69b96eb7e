// "The formatted source parses to the same tree": trees compared with positions removed. The
// formatter's own output is checked with this before a file is rewritten, and the tests use it.
import { isDeepStrictEqual } from 'node:util';
import type { SourceFile } from '../parse/ast.js';

/** Keys that record where something was written rather than what was written. */
const POSITION_KEYS = new Set(['span', 'opSpan', 'keywordSpan', 'perSpan']);

/** A deep copy of an AST value without its spans; comment text loses trailing blanks (fmt trims them). */
export function withoutSpans(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSpans);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (POSITION_KEYS.has(key) || v === undefined) continue;
    out[key] = withoutSpans(v);
  }
  if (out.kind === 'Comment' && typeof out.text === 'string') out.text = out.text.trimEnd();
  return out;
}

export function sameTree(a: SourceFile, b: SourceFile): boolean {
  return isDeepStrictEqual(withoutSpans(a), withoutSpans(b));
}
