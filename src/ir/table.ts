// Interpreters of the IR as tables keyed by node kind. Each interpreter (children, printing,
// verification, the reference evaluator, the host values, the tensor graph, the torch emitter, the
// plan) declares one entry for every kind with `satisfies IrTable<…>`, so adding a node kind to
// nodes.ts makes the compiler name every interpreter that does not handle it yet, instead of a
// `default:` branch finding out at run time. A kind an interpreter cannot meet (a mask in the
// scalar emitter) gets an explicit entry that says so.
import type { IrExpr } from './nodes.js';

/** Every node kind, as `IrExpr['op']` spells it. */
export type IrOp = IrExpr['op'];

/** The node type of one kind (a node type may cover several kinds: mean, sum and seqmean are ReduceNodes). */
export type IrNodeOf<K extends IrOp> = NodeCovering<IrExpr, K>;
type NodeCovering<T, K> = T extends { op: infer O } ? (K extends O ? T : never) : never;

/** One handler per node kind, each given the node narrowed to its own type. */
export type IrTable<R, A extends unknown[] = []> = { readonly [K in IrOp]: (n: IrNodeOf<K>, ...args: A) => R };

/** Calls the handler of `n`'s kind. */
export function dispatch<R, A extends unknown[]>(table: IrTable<R, A>, n: IrExpr, ...args: A): R {
  return (table[n.op] as (n: IrExpr, ...args: A) => R)(n, ...args);
}

/** The entry of a kind an interpreter never receives: reaching it is a compiler bug, named. */
export function unreachable(what: string): (n: IrExpr) => never {
  return (n) => {
    throw new Error(`internal: ${n.op} node reached ${what}`);
  };
}
