// Lowering: the checked AST becomes the IR. Lets are inlined by reference: each syntax node is
// lowered once and every use of a let shares its node, so the IR is a DAG and a let used twice is
// computed once (24 doubling lets stay 24 nodes, not 2^24). `max(groups)` becomes a max over
// explicit per-group means, a tokens-valued loss gets its token mean made explicit, and selectors
// become the partition plan. Runs only on a program without errors, so every type is known.
import type { Span } from '../diagnostics/span.js';
import type { Argument, CallExpression, Expression } from '../parse/ast.js';
import type { CheckedProgram } from '../check/index.js';
import { FUNCTIONS, SCORERS, isScorer, mathOf } from '../language/builtins.js';
import type { Definition } from '../check/names.js';
import type {
  BinaryFn, CompareFn, GroupReduceFn, IrExpr, IrGroup, IrParam, IrType, Objective, ReduceNode, ScorerCall, ScorerName,
} from './nodes.js';
import { walk } from './walk.js';

const ARITH: Record<string, BinaryFn> = { '+': 'add', '-': 'sub', '*': 'mul', '/': 'div', '^': 'pow' };

/**
 * `overrides`: the number-valued `--param` values; `fromFlags`: the param definitions an
 * expression-valued `--param` made (src/compile.ts), so their IR params are marked overridden.
 */
export function lowerProgram(checked: CheckedProgram, file: string, overrides: Record<string, number>, fromFlags: ReadonlySet<Definition> = new Set()): Objective {
  return new Lowerer(checked, fromFlags).objective(file, overrides);
}

class Lowerer {
  private readonly params = new Map<string, IrParam>();
  /** The IR of each syntax node, so a let's value is lowered once and shared by all its uses. */
  private readonly lowered = new Map<Expression, IrExpr>();

  constructor(
    private readonly checked: CheckedProgram,
    private readonly fromFlags: ReadonlySet<Definition>,
  ) {}

  objective(file: string, overrides: Record<string, number>): Objective {
    const { program } = this.checked;
    const groups: IrGroup[] = program.groups.map((def) => {
      const selector = this.expr(def.value);
      const kind = scorersOf(selector).some((s) => s.kind === 'dynamic') ? 'dynamic' : 'static';
      return { name: def.name, selector, kind, span: def.nameSpan };
    });
    const loss = implicitMean(this.lossExpr(program.loss!.value), program.loss!.value.span);
    for (const p of this.params.values()) p.used = true;
    // Every param is part of the objective's interface (--param, metrics), used or not, in
    // definition order: the predeclared λ first, then imports, then the file.
    const names = [...new Set(program.definitions.filter((d) => d.kind === 'param').map((d) => d.name))];
    const order = names.map((n) => program.winners.get(n)!).filter((d) => d.kind === 'param');
    for (const def of order) this.param(def);
    const params = order.map((d) => this.params.get(d.name)!);
    for (const [name, value] of Object.entries(overrides)) {
      const p = this.params.get(name);
      if (p !== undefined) {
        p.value = { op: 'const', type: 'number', value, span: p.span };
        p.type = 'number';
        p.overridden = true;
      }
    }
    const scorers = dedupeScorers([...groups.flatMap((g) => scorersOf(g.selector)), ...scorersOf(loss)]);
    const tokens = new Set<string>();
    for (const root of [loss, ...groups.map((g) => g.selector)]) {
      walk(root, (n) => {
        if (n.op === 'token') tokens.add(n.name);
        if ((n.op === 'scores' || n.op === 'rank') && n.scorer.name === 'excess_loss') tokens.add('excess');
      });
    }
    return {
      name: program.name,
      file,
      params,
      partition: { groups, scorers },
      loss,
      settings: this.checked.settings,
      settingSpans: this.checked.settingSpans,
      requires: { reference: tokens.has('ref_ce') || tokens.has('excess'), rewards: tokens.has('reward') || tokens.has('advantage') },
      ...(this.checked.reward === undefined ? {} : { reward: this.checked.reward }),
    };
  }

  private typeOf(e: Expression): IrType {
    const t = this.checked.info.types.get(e);
    if (t === 'number' || t === 'scalar' || t === 'tokens' || t === 'mask') return t;
    throw new Error(`lowering an expression of type ${String(t)} at ${e.span.file}:${e.span.start.line}:${e.span.start.col}`);
  }

  /** The loss may be restricted tokens (`loss = ce[g]`): that is the mean over the restriction. */
  private lossExpr(e: Expression): IrExpr {
    if (this.checked.info.types.get(e) === 'restricted') return this.reduce('mean', e, e.span);
    return this.expr(e);
  }

  private param(def: Definition): IrExpr {
    let p = this.params.get(def.name);
    if (p === undefined) {
      const type = this.checked.info.definitionTypes.get(def) === 'scalar' ? 'scalar' : 'number';
      const overridden = this.fromFlags.has(def);
      p = { name: def.name, type, value: this.expr(def.value), span: def.nameSpan, overridden, used: false };
      this.params.set(def.name, p);
    }
    return { op: 'param', type: p.type, name: def.name, span: def.nameSpan };
  }

  expr(e: Expression): IrExpr {
    let out = this.lowered.get(e);
    if (out === undefined) {
      out = this.lower(e);
      this.lowered.set(e, out);
    }
    return out;
  }

  private lower(e: Expression): IrExpr {
    const span = e.span;
    switch (e.kind) {
      case 'Number':
        return { op: 'const', type: 'number', value: e.value, span };
      case 'Percent':
        return { op: 'const', type: 'number', value: e.value, span, percent: true };
      case 'Paren':
        return this.expr(e.inner);
      case 'Identifier': {
        const ref = this.checked.info.references.get(e)!;
        switch (ref.kind) {
          case 'token':
            return { op: 'token', type: 'tokens', name: ref.name, span };
          case 'clock':
            return { op: ref.name, type: 'scalar', span };
          case 'rest':
            return { op: 'group', type: 'mask', name: 'rest', span };
          case 'groups':
            throw new Error('`groups` outside a group reduction reached lowering');
          case 'definition': {
            const def = ref.definition;
            if (def.kind === 'group') return { op: 'group', type: 'mask', name: def.name, span };
            if (def.kind === 'param') return this.param(def);
            return this.expr(def.value);
          }
        }
        break;
      }
      case 'Unary': {
        const arg = this.expr(e.operand);
        return e.op === '-' ? { op: 'unary', fn: 'neg', type: arg.type, arg, span } : { op: 'not', type: 'mask', arg, span };
      }
      case 'Binary': {
        const left = this.expr(e.left);
        const right = this.expr(e.right);
        if (e.op === 'and' || e.op === 'or') return { op: e.op, type: 'mask', left, right, span };
        if (e.op in ARITH) return { op: 'binary', fn: ARITH[e.op]!, type: this.typeOf(e), left, right, span };
        return { op: 'compare', fn: e.op as CompareFn, type: 'mask', left, right, span };
      }
      case 'Call':
        return this.call(e);
      default:
        break;
    }
    throw new Error(`cannot lower a ${e.kind} expression`);
  }

  /** `mean(x)`, `mean(x[g])`, also through a let bound to `x[g]`. */
  private reduce(op: 'mean' | 'sum' | 'seqmean', e: Expression, span: Span): ReduceNode {
    const { arg, mask } = this.restricted(e);
    return mask === undefined ? { op, type: 'scalar', arg, span } : { op, type: 'scalar', arg, mask, span };
  }

  private restricted(e: Expression): { arg: IrExpr; mask?: IrExpr } {
    if (e.kind === 'Paren') return this.restricted(e.inner);
    if (e.kind === 'Index') return { arg: this.expr(e.target), mask: this.expr(e.index) };
    if (e.kind === 'Identifier') {
      const ref = this.checked.info.references.get(e);
      if (ref?.kind === 'definition' && ref.definition.kind === 'let') return this.restricted(ref.definition.value);
    }
    return { arg: this.expr(e) };
  }

  private call(e: CallExpression): IrExpr {
    const fn = e.callee.name;
    const span = e.span;
    const type = this.typeOf(e);
    if (isScorer(fn)) return this.scorer(e, fn);
    const named = bind(e);
    const arg = (key: string) => named.get(key)!.value;
    const positional = e.args.filter((a) => a.name === undefined).map((a) => a.value);
    if (FUNCTIONS[fn]?.rule === 'math') return { op: 'unary', fn: mathOf(fn), type, arg: this.expr(arg('x')), span };
    switch (fn) {
      case 'mean':
      case 'max':
      case 'smoothmax':
      case 'dro': {
        // `mean(x = ce)` and `smoothmax(groups = groups, …)` name their first argument.
        const first = named.get(fn === 'mean' ? 'x' : 'groups')?.value ?? positional[0]!;
        if (this.checked.info.types.get(first) === 'groups') return this.groupReduce(fn, e);
        if (fn === 'mean') return this.reduce('mean', first, span);
        return this.chain('max', positional, type, span);
      }
      case 'min':
        return this.chain('min', positional, type, span);
      case 'sum':
      case 'seqmean':
        return this.reduce(fn, arg('x'), span);
      case 'count':
        return { op: 'count', type: 'scalar', mask: this.expr(arg('g')), span };
      case 'cvar': {
        const { arg: x, mask } = this.restricted(arg('x'));
        const fraction = this.expr(arg('fraction'));
        return mask === undefined ? { op: 'cvar', type: 'scalar', arg: x, fraction, span } : { op: 'cvar', type: 'scalar', arg: x, mask, fraction, span };
      }
      case 'clip':
        return { op: 'clip', type, arg: this.expr(arg('x')), lo: this.expr(arg('lo')), hi: this.expr(arg('hi')), span };
      case 'where':
        return { op: 'where', type, cond: this.expr(arg('cond')), then: this.expr(arg('then')), else: this.expr(arg('else')), span };
      case 'const': {
        const v = this.expr(arg('value'));
        return { op: 'schedule', type: 'scalar', kind: 'const', from: v, to: v, over: 1, span };
      }
      case 'linear':
      case 'cosine': {
        const range = arg('range');
        if (range.kind !== 'Arrow') throw new Error('schedule without a range reached lowering');
        const over = named.get('over');
        return {
          op: 'schedule', type: 'scalar', kind: fn, from: this.expr(range.from), to: this.expr(range.to),
          over: over === undefined ? 1 : this.checked.checker.constant(over.value)!, span,
        };
      }
      case 'regex': {
        const p = arg('pattern');
        return { op: 'regex', type: 'mask', pattern: p.kind === 'String' ? p.value : '', span };
      }
    }
    throw new Error(`no lowering for ${fn}()`);
  }

  private chain(fn: 'max' | 'min', args: Expression[], type: IrType, span: Span): IrExpr {
    let acc = this.expr(args[0]!);
    for (const a of args.slice(1)) {
      const right = this.expr(a);
      acc = { op: 'binary', fn, type: args.length === 2 ? type : widest(acc.type, right.type), left: acc, right, span };
    }
    return acc;
  }

  /** `max(groups, of = x)` → max(mean(x[g1]), …, mean(x[rest])). */
  private groupReduce(fn: GroupReduceFn, e: CallExpression): IrExpr {
    const named = bind(e);
    const of = named.get('of');
    const span = e.span;
    const names = [...this.checked.program.groups.map((g) => g.name), 'rest'];
    const terms: ReduceNode[] = names.map((name) => ({
      op: 'mean',
      type: 'scalar',
      arg: of === undefined ? { op: 'token', type: 'tokens', name: 'ce', span } : this.expr(of.value),
      mask: { op: 'group', type: 'mask', name, span },
      span,
    }));
    const rateArg = fn === 'smoothmax' ? named.get('temperature') : fn === 'dro' ? named.get('step') : undefined;
    return rateArg === undefined ? { op: 'groups', type: 'scalar', fn, terms, span } : { op: 'groups', type: 'scalar', fn, terms, rate: this.expr(rateArg.value), span };
  }

  private scorer(e: CallExpression, name: ScorerName): IrExpr {
    const info = SCORERS[name];
    const named = bind(e, info.params.map(([n]) => n));
    const args: ScorerCall['args'] = {};
    for (const [param, fallback] of info.params) {
      const v = named.get(param)?.value;
      const value = v === undefined ? fallback : v.kind === 'String' || v.kind === 'Boolean' || v.kind === 'Number' ? v.value : undefined;
      if (value !== undefined) args[param] = value;
    }
    const scorer: ScorerCall = { name, kind: info.kind, args };
    if (e.rank === undefined) return { op: 'scores', type: 'tokens', scorer, span: e.span };
    return {
      op: 'rank', type: 'mask', scorer, direction: e.rank.direction, amount: this.expr(e.rank.amount),
      scope: e.rank.per ?? 'sample', span: e.span,
    };
  }
}

/** Arguments by parameter name: keyword ones, and positional ones matched against `params`. */
function bind(e: CallExpression, params?: string[]): Map<string, Argument> {
  const out = new Map<string, Argument>();
  const order = params ?? FUNCTIONS[e.callee.name]?.params ?? [];
  let i = 0;
  for (const a of e.args) {
    if (a.name !== undefined) out.set(a.name.name, a);
    else if (i < order.length) out.set(order[i++]!, a);
  }
  return out;
}

function widest(a: IrType, b: IrType): IrType {
  const rank: Record<IrType, number> = { number: 0, scalar: 1, tokens: 2, mask: 3 };
  return rank[a] >= rank[b] ? a : b;
}

/**
 * The implicit token mean of a tokens-valued loss, pushed through scalar terms and factors so the
 * printed IR reads like the paper: mean(s·x) = s·mean(x), mean(s + x) = s + mean(x) (exact over a
 * non-empty batch; scalar s is the same for every token).
 */
export function implicitMean(e: IrExpr, span: Span): IrExpr {
  if (e.type !== 'tokens') return e;
  if (e.op === 'binary' && (e.fn === 'add' || e.fn === 'sub' || e.fn === 'mul' || e.fn === 'div')) {
    const lt = e.left.type === 'tokens';
    const rt = e.right.type === 'tokens';
    if (lt !== rt && !(e.fn === 'div' && rt)) {
      return {
        ...e,
        type: 'scalar',
        left: lt ? implicitMean(e.left, e.left.span) : e.left,
        right: rt ? implicitMean(e.right, e.right.span) : e.right,
      };
    }
  }
  if (e.op === 'unary' && e.fn === 'neg') return { ...e, type: 'scalar', arg: implicitMean(e.arg, e.arg.span) };
  return { op: 'mean', type: 'scalar', arg: e, span };
}

function scorersOf(root: IrExpr): ScorerCall[] {
  const out: ScorerCall[] = [];
  walk(root, (n) => {
    if (n.op === 'scores' || n.op === 'rank') out.push(n.scorer);
  });
  return out;
}

function dedupeScorers(all: ScorerCall[]): ScorerCall[] {
  const byKey = new Map<string, ScorerCall>();
  for (const s of all) byKey.set(JSON.stringify([s.name, s.args]), s);
  const list = [...byKey.values()];
  return [...list.filter((s) => s.kind === 'static'), ...list.filter((s) => s.kind === 'dynamic')];
}
