// The IR verifier: recomputes every node's type from its children and checks the invariants that
// lowering and the passes must keep. Tests run it after every pass; a problem is a compiler bug,
// never a user error, so it returns plain messages.
import { SCORERS } from '../language/builtins.js';
import type { IrExpr, IrType, Objective } from './nodes.js';
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
    switch (n.op) {
      case 'const':
        expect('number');
        break;
      case 'param': {
        const p = params.get(n.name);
        if (p === undefined) problems.push(`${where(n)}: unknown param ${n.name}`);
        else expect(p.type);
        break;
      }
      case 'token':
        expect('tokens');
        break;
      case 'step':
      case 'progress':
        expect('scalar');
        break;
      case 'schedule':
        expect('scalar');
        if (n.from.type !== 'number' || n.to.type !== 'number') problems.push(`${where(n)}: schedule ends must be numbers`);
        if (!(n.over >= 0 && n.over <= 1)) problems.push(`${where(n)}: over ${n.over} outside [0, 1]`);
        break;
      case 'unary':
        numeric(n.arg);
        expect(n.arg.type);
        break;
      case 'binary':
        numeric(n.left, n.right);
        expect(join(kids));
        break;
      case 'compare':
        numeric(n.left, n.right);
        expect('mask');
        if (n.left.type !== 'tokens' && n.right.type !== 'tokens') problems.push(`${where(n)}: comparison without tokens`);
        break;
      case 'and':
      case 'or':
        mask(n.left);
        mask(n.right);
        expect('mask');
        break;
      case 'not':
        mask(n.arg);
        expect('mask');
        break;
      case 'where':
        mask(n.cond);
        numeric(n.then, n.else);
        expect('tokens');
        break;
      case 'clip':
        numeric(n.arg, n.lo, n.hi);
        expect(join(kids));
        break;
      case 'scores':
        expect('tokens');
        break;
      case 'rank':
        expect('mask');
        fraction(n.amount);
        if (n.scope === 'corpus' && SCORERS[n.scorer.name].kind !== 'static') problems.push(`${where(n)}: per corpus with a dynamic scorer`);
        if (SCORERS[n.scorer.name].kind !== n.scorer.kind) problems.push(`${where(n)}: scorer kind mismatch`);
        break;
      case 'regex':
        expect('mask');
        break;
      case 'group':
        expect('mask');
        if (n.name !== 'rest' && !groupNames.has(n.name)) problems.push(`${where(n)}: unknown group ${n.name}`);
        break;
      case 'mean':
      case 'sum':
      case 'seqmean':
        expect('scalar');
        if (n.arg.type !== 'tokens') problems.push(`${where(n)}: reduces ${n.arg.type}, expected tokens`);
        mask(n.mask);
        break;
      case 'count':
        expect('scalar');
        mask(n.mask);
        break;
      case 'cvar':
        expect('scalar');
        if (n.arg.type !== 'tokens') problems.push(`${where(n)}: cvar of ${n.arg.type}`);
        mask(n.mask);
        fraction(n.fraction);
        break;
      case 'groups': {
        expect('scalar');
        const names = [...o.partition.groups.map((g) => g.name), 'rest'];
        if (n.terms.length !== names.length) problems.push(`${where(n)}: ${n.terms.length} terms for ${names.length} groups`);
        n.terms.forEach((t, i) => {
          if (t.op !== 'mean' || t.mask?.op !== 'group' || t.mask.name !== names[i]) problems.push(`${where(n)}: term ${i} is not mean(x[${names[i]}])`);
        });
        if ((n.fn === 'smoothmax' || n.fn === 'dro') !== (n.rate !== undefined)) problems.push(`${where(n)}: ${n.fn} rate presence`);
        if (n.rate !== undefined && n.rate.type !== 'number') problems.push(`${where(n)}: rate is ${n.rate.type}`);
        break;
      }
    }
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
