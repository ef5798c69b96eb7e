// The IR verifier: recomputes every node's type from its children and checks the invariants that
// lowering and the passes must keep. Tests run it after every pass; a problem is a compiler bug,
// never a user error, so it returns plain messages.
import { SCORERS } from '../language/builtins.js';
import type { IrExpr, IrParam, IrType, Objective } from './nodes.js';
import { dispatch, type IrNodeOf, type IrTable } from './table.js';
import { children } from './walk.js';

const NUMERIC: readonly IrType[] = ['number', 'scalar', 'tokens'];
const RANK: Record<IrType, number> = { number: 0, scalar: 1, tokens: 2, mask: 3 };

function join(types: IrType[]): IrType {
  return types.reduce((a, b) => (RANK[a] >= RANK[b] ? a : b), 'number');
}

export function verifyObjective(o: Objective): string[] {
  const problems: string[] = [];
  const params = new Map(o.params.map((p) => [p.name, p]));
  const groupNames = new Set(o.partition.groups.map((g) => g.name));
  const where = (n: IrExpr) => `${n.op} at ${n.span.file}:${n.span.start.line}:${n.span.start.col}`;

  // Each shared node (the IR is a DAG) is verified once per context.
  const checked = { objective: new Set<IrExpr>(), param: new Set<IrExpr>() };
  const check = (n: IrExpr, context: 'objective' | 'param'): void => {
    if (checked[context].has(n)) return;
    checked[context].add(n);
    if (n.span === undefined) problems.push(`${n.op} has no span`);
    for (const c of children(n)) check(c, context);
    const kids = children(n).map((c) => c.type);
    const expect = (t: IrType, why = '') => {
      if (n.type !== t) problems.push(`${where(n)} has type ${n.type}, expected ${t}${why}`);
    };
    const numeric = (...xs: IrExpr[]) => {
      for (const x of xs) if (!NUMERIC.includes(x.type)) problems.push(`${where(n)}: operand ${x.op} is ${x.type}, not numeric`);
    };
    const mask = (x: IrExpr | undefined) => {
      if (x !== undefined && x.type !== 'mask') problems.push(`${where(n)}: ${x.op} is ${x.type}, expected mask`);
    };
    const fraction = (x: IrExpr) => {
      if (x.type !== 'number') problems.push(`${where(n)}: fraction is ${x.type}, expected number`);
      if (x.op === 'const' && !(x.value >= 0 && x.value <= 1)) problems.push(`${where(n)}: fraction ${x.value} outside [0, 1]`);
    };
    if (context === 'param' && (n.type === 'tokens' || n.type === 'mask')) problems.push(`${where(n)}: a param value cannot depend on tokens`);
    dispatch(CHECKS, n, { o, params, groupNames, problems, kids, where: () => where(n), expect, numeric, mask, fraction });
  };

  for (const p of o.params) {
    check(p.value, 'param');
    if (p.type === 'number' && p.value.type !== 'number') problems.push(`param ${p.name} is number but its value is ${p.value.type}`);
    if (p.type === 'scalar' && p.value.type !== 'scalar' && p.value.type !== 'number') problems.push(`param ${p.name} value is ${p.value.type}`);
  }
  const seen = new Set<string>();
  for (const g of o.partition.groups) {
    if (g.name === 'rest' || seen.has(g.name)) problems.push(`group name ${g.name} repeated or reserved`);
    seen.add(g.name);
    check(g.selector, 'objective');
    if (g.selector.type !== 'mask') problems.push(`group ${g.name} selector is ${g.selector.type}`);
  }
  check(o.loss, 'objective');
  if (o.loss.type !== 'scalar') problems.push(`loss has type ${o.loss.type}, expected scalar`);
  return problems;
}

/** What a node's check needs: the objective, and the helpers that record a problem at that node. */
interface NodeChecks {
  o: Objective;
  params: ReadonlyMap<string, IrParam>;
  groupNames: ReadonlySet<string>;
  problems: string[];
  /** The children's types. */
  kids: IrType[];
  /** `op at file:line:col` of the node. */
  where: () => string;
  expect: (t: IrType, why?: string) => void;
  numeric: (...xs: IrExpr[]) => void;
  mask: (x: IrExpr | undefined) => void;
  fraction: (x: IrExpr) => void;
}

const checkClock = (_n: IrNodeOf<'step' | 'progress'>, k: NodeChecks): void => {
  k.expect('scalar');
};
const checkLogic = (n: IrNodeOf<'and' | 'or'>, k: NodeChecks): void => {
  k.mask(n.left);
  k.mask(n.right);
  k.expect('mask');
};
const checkReduction = (n: IrNodeOf<'mean' | 'sum' | 'seqmean'>, k: NodeChecks): void => {
  k.expect('scalar');
  if (n.arg.type !== 'tokens') k.problems.push(`${k.where()}: reduces ${n.arg.type}, expected tokens`);
  k.mask(n.mask);
};

/** Each kind's own invariants, checked after its children. */
const CHECKS = {
  const: (n, k) => {
    k.expect('number');
  },
  param: (n, k) => {
    const p = k.params.get(n.name);
    if (p === undefined) k.problems.push(`${k.where()}: unknown param ${n.name}`);
    else k.expect(p.type);
  },
  token: (n, k) => {
    k.expect('tokens');
  },
  step: checkClock,
  progress: checkClock,
  schedule: (n, k) => {
    k.expect('scalar');
    if (n.from.type !== 'number' || n.to.type !== 'number') k.problems.push(`${k.where()}: schedule ends must be numbers`);
    if (!(n.over >= 0 && n.over <= 1)) k.problems.push(`${k.where()}: over ${n.over} outside [0, 1]`);
  },
  unary: (n, k) => {
    k.numeric(n.arg);
    k.expect(n.arg.type);
  },
  binary: (n, k) => {
    k.numeric(n.left, n.right);
    k.expect(join(k.kids));
  },
  compare: (n, k) => {
    k.numeric(n.left, n.right);
    k.expect('mask');
    if (n.left.type !== 'tokens' && n.right.type !== 'tokens') k.problems.push(`${k.where()}: comparison without tokens`);
  },
  and: checkLogic,
  or: checkLogic,
  not: (n, k) => {
    k.mask(n.arg);
    k.expect('mask');
  },
  where: (n, k) => {
    k.mask(n.cond);
    k.numeric(n.then, n.else);
    k.expect('tokens');
  },
  clip: (n, k) => {
    k.numeric(n.arg, n.lo, n.hi);
    k.expect(join(k.kids));
  },
  scores: (n, k) => {
    k.expect('tokens');
  },
  rank: (n, k) => {
    k.expect('mask');
    k.fraction(n.amount);
    if (n.scope === 'corpus' && SCORERS[n.scorer.name].kind !== 'static') k.problems.push(`${k.where()}: per corpus with a dynamic scorer`);
    if (SCORERS[n.scorer.name].kind !== n.scorer.kind) k.problems.push(`${k.where()}: scorer kind mismatch`);
  },
  regex: (n, k) => {
    k.expect('mask');
  },
  group: (n, k) => {
    k.expect('mask');
    if (n.name !== 'rest' && !k.groupNames.has(n.name)) k.problems.push(`${k.where()}: unknown group ${n.name}`);
  },
  mean: checkReduction,
  sum: checkReduction,
  seqmean: checkReduction,
  count: (n, k) => {
    k.expect('scalar');
    k.mask(n.mask);
  },
  cvar: (n, k) => {
    k.expect('scalar');
    if (n.arg.type !== 'tokens') k.problems.push(`${k.where()}: cvar of ${n.arg.type}`);
    k.mask(n.mask);
    k.fraction(n.fraction);
  },
  groups: (n, k) => {
    k.expect('scalar');
    const names = [...k.o.partition.groups.map((g) => g.name), 'rest'];
    if (n.terms.length !== names.length) k.problems.push(`${k.where()}: ${n.terms.length} terms for ${names.length} groups`);
    n.terms.forEach((t, i) => {
      if (t.op !== 'mean' || t.mask?.op !== 'group' || t.mask.name !== names[i]) k.problems.push(`${k.where()}: term ${i} is not mean(x[${names[i]}])`);
    });
    if ((n.fn === 'smoothmax' || n.fn === 'dro') !== (n.rate !== undefined)) k.problems.push(`${k.where()}: ${n.fn} rate presence`);
    if (n.rate !== undefined && n.rate.type !== 'number') k.problems.push(`${k.where()}: rate is ${n.rate.type}`);
  },
} satisfies IrTable<void, [NodeChecks]>;
