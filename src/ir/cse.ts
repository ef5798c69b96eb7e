// Common-subexpression elimination by hash-consing: structurally equal subtrees (same operation,
// fields and children, spans ignored) become one shared object, so an executor that memoises by
// node identity computes `mean(ce)` once however often the source wrote it. The first occurrence's
// span is kept. The result is a DAG; printing and JSON still show it as a tree.
import type { IrExpr, Objective } from './nodes.js';
import { children, mapChildren, memoised } from './walk.js';

export interface CseResult {
  objective: Objective;
  /** How many nodes were replaced by an earlier equal one. */
  merged: number;
}

export function cseObjective(o: Objective): CseResult {
  const table = new Map<string, IrExpr>();
  const ids = new Map<IrExpr, number>();
  let merged = 0;
  // Memoised by identity: a node the lowering already shares (a let) is interned once.
  const intern = memoised((n, self) => {
    const m = mapChildren(n, self);
    const key = keyOf(m, ids);
    const existing = table.get(key);
    if (existing !== undefined) {
      merged++;
      return existing;
    }
    table.set(key, m);
    ids.set(m, ids.size);
    return m;
  });
  const objective: Objective = {
    ...o,
    params: o.params.map((p) => ({ ...p, value: intern(p.value) })),
    partition: { ...o.partition, groups: o.partition.groups.map((g) => ({ ...g, selector: intern(g.selector) })) },
    loss: intern(o.loss),
  };
  return { objective, merged };
}

/** Own fields (without span and children) plus the ids of the already interned children. */
function keyOf(n: IrExpr, ids: Map<IrExpr, number>): string {
  const childIds = children(n).map((c) => ids.get(c));
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n)) {
    if (k === 'span' || (typeof v === 'object' && v !== null && 'op' in v) || k === 'terms') continue;
    own[k] = v;
  }
  return JSON.stringify([own, childIds]);
}
