// The checker's types: the IR's value types plus the ones that only exist during checking.
// `groups` is the partition (only an argument of group reductions), `restricted` is `x[g]` (only
// reduced), `string`/`bool`/`list`/`arrow` appear in settings and scorer or schedule arguments, and
// `error` marks a value whose error was already reported, so that one mistake gives one diagnostic.
import type { IrType } from '../language/values.js';

export type CheckType = IrType | 'groups' | 'restricted' | 'string' | 'bool' | 'list' | 'arrow' | 'error';

/** How a type is named in messages. */
export function typeName(t: CheckType): string {
  return t === 'restricted' ? 'restricted tokens (x[g])' : t;
}

const numericRank: Partial<Record<CheckType, number>> = { number: 0, scalar: 1, tokens: 2 };

export function isNumeric(t: CheckType): boolean {
  return t in numericRank;
}

/** Elementwise broadcasting: number ⊂ scalar ⊂ tokens; the wider type wins. */
export function joinNumeric(a: CheckType, b: CheckType): CheckType {
  return numericRank[a]! >= numericRank[b]! ? a : b;
}
