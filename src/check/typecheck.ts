// Types every expression of the program (LANGUAGE.md §4–7) and records what lowering needs: the
// type of each expression and the definition each identifier refers to. Errors are collected; an
// expression whose error was reported gets the type `error`, which every rule accepts silently.
import { compileSafeRegex } from '../util/safe-regex.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { nearest } from '../diagnostics/suggest.js';
import type { Span } from '../diagnostics/span.js';
import type { Argument, BinaryExpression, CallExpression, Expression, Identifier, Rank } from '../parse/ast.js';
import { TOKEN_QUANTITIES, type TokenQuantity } from '../language/values.js';
import { bindArguments } from './functions.js';
import { CALLABLE_NAMES, FUNCTIONS, isScorer, SCORERS } from '../language/builtins.js';
import { RESERVED_NAMES, type Definition, type Program, type Scope } from './names.js';
import { isNumeric, joinNumeric, typeName, type CheckType } from './types.js';
import { constantValue } from './constant.js';
import type { Reference, TypeInfo } from './type-info.js';

export type { Reference, TypeInfo } from './type-info.js';

const ARITHMETIC = new Set(['+', '-', '*', '/', '^']);
const COMPARISON = new Set(['<', '<=', '>', '>=', '==', '!=']);

export class TypeChecker {
  readonly info: TypeInfo = { types: new Map(), references: new Map(), definitionTypes: new Map() };
  /** Definitions being typed, innermost last: a cycle is reported with its chain. */
  private readonly inProgress: Definition[] = [];

  constructor(
    private readonly program: Program,
    private readonly diagnostics: Diagnostic[],
    /** `--param` overrides, so rank amounts like `top η` see the value the run will use. */
    private readonly overrides: Record<string, number>,
  ) {}

  private report(code: string, message: string, span: Span, hint?: string): CheckType {
    this.diagnostics.push(error(code, message, span, hint));
    return 'error';
  }

  /** The type of a definition's value, computed once; a cycle is reported where it closes. */
  definitionType(def: Definition, at?: Span): CheckType {
    const known = this.info.definitionTypes.get(def);
    if (known !== undefined) return known;
    const open = this.inProgress.indexOf(def);
    if (open >= 0) {
      const chain = [...this.inProgress.slice(open), def].map((d) => d.name).join(' → ');
      return this.report('E0207', `the definition of \`${def.name}\` refers to itself: ${chain}`, at ?? def.nameSpan, 'break the cycle by naming a different value');
    }
    this.inProgress.push(def);
    let t = this.check(def.value, def.scope);
    this.inProgress.pop();
    if (t === 'groups') {
      t = this.report('E0306', `\`groups\` cannot be bound to a name`, def.value.span, 'write max(groups), mean(groups), smoothmax(groups, …) or dro(groups, …) where it is used');
    }
    if (def.kind === 'param' && t !== 'error' && t !== 'number' && t !== 'scalar') {
      t = this.report('E0311', `param \`${def.name}\` must be a number or a schedule, found ${typeName(t)}`, def.value.span, 'use `let` for other values');
    }
    if (def.kind === 'group' && t !== 'error' && t !== 'mask') {
      this.report('E0504', `group \`${def.name}\` must be a mask, found ${typeName(t)}`, def.value.span, t === 'tokens' ? 'add a rank such as `top 30%` or compare the scores: `tfidf() > 0.2`' : undefined);
      t = 'mask';
    }
    if (def.kind === 'group') t = 'mask';
    this.info.definitionTypes.set(def, t);
    return t;
  }

  check(e: Expression, scope: Scope): CheckType {
    const t = this.compute(e, scope);
    this.info.types.set(e, t);
    return t;
  }

  private compute(e: Expression, scope: Scope): CheckType {
    switch (e.kind) {
      case 'Number':
        return 'number';
      case 'Percent':
        if (!(e.value >= 0 && e.value <= 1)) return this.report('E0501', `percent ${e.text} is outside [0%, 100%]`, e.span, 'write a percent between 0% and 100%');
        return 'number';
      case 'String':
        return 'string';
      case 'Boolean':
        return 'bool';
      case 'List':
        return this.report('E0309', 'a list is only allowed as a settings value', e.span);
      case 'Arrow':
        return this.report('E0309', '`a -> b` is only allowed inside linear(…) or cosine(…)', e.span, 'write `linear(a -> b)`');
      case 'Paren':
        return this.check(e.inner, scope);
      case 'Identifier':
        return this.identifier(e, scope);
      case 'Unary': {
        const t = this.check(e.operand, scope);
        if (t === 'error') return t;
        if (e.op === '-') return isNumeric(t) ? t : this.report('E0301', `unary \`-\` needs a number, scalar or tokens, found ${typeName(t)}`, e.opSpan);
        return t === 'mask' ? 'mask' : this.report('E0301', `\`not\` needs a mask, found ${typeName(t)}`, e.opSpan);
      }
      case 'Binary':
        return this.binary(e, scope);
      case 'Index': {
        const target = this.check(e.target, scope);
        const index = this.check(e.index, scope);
        if (target === 'error' || index === 'error') return 'error';
        if (target !== 'tokens') return this.report('E0307', `only tokens can be restricted with [ ], found ${typeName(target)}`, e.target.span);
        if (index !== 'mask') return this.report('E0307', `the index of x[g] must be a group or another mask, found ${typeName(index)}`, e.index.span);
        return 'restricted';
      }
      case 'Call':
        return this.call(e, scope);
    }
  }

  private identifier(e: Identifier, scope: Scope): CheckType {
    const name = e.name;
    if ((TOKEN_QUANTITIES as readonly string[]).includes(name)) {
      this.info.references.set(e, { kind: 'token', name: name as TokenQuantity });
      if ((name === 'ref_ce' || name === 'excess') && this.info.usesReference === undefined) this.info.usesReference = e.span;
      return 'tokens';
    }
    if (name === 'step' || name === 'progress') {
      this.info.references.set(e, { kind: 'clock', name });
      return 'scalar';
    }
    if (name === 'groups') {
      this.info.references.set(e, { kind: 'groups' });
      return 'groups';
    }
    if (name === 'rest') {
      this.info.references.set(e, { kind: 'rest' });
      // `rest` is whatever no group takes, so a group defined through it would define itself.
      if (this.inProgress.some((d) => d.kind === 'group')) {
        return this.report('E0504', 'a group cannot be defined through `rest`', e.span, '`rest` is the tokens that no group takes');
      }
      return 'mask';
    }
    if (!scope.visible.has(name)) {
      if (scope.broken.has(name)) return 'error';
      if (scope.later.has(name)) return this.report('E0202', `\`${name}\` is used before its definition`, e.span, 'move the definition above this line');
      const candidates = [...scope.visible, ...RESERVED_NAMES];
      const suggestion = nearest(name, candidates);
      const callableHint = CALLABLE_NAMES.includes(name) ? `\`${name}\` is a function: write \`${name}(…)\`` : undefined;
      return this.report('E0201', `unknown name \`${name}\``, e.span, suggestion ? `did you mean \`${suggestion}\`?` : callableHint);
    }
    const def = this.program.winners.get(name)!;
    this.info.references.set(e, { kind: 'definition', definition: def });
    return this.definitionType(def, e.span);
  }

  private binary(e: BinaryExpression, scope: Scope): CheckType {
    const l = this.check(e.left, scope);
    const r = this.check(e.right, scope);
    if (l === 'error' || r === 'error') return 'error';
    const both = `${typeName(l)} and ${typeName(r)}`;
    if (ARITHMETIC.has(e.op)) {
      if (isNumeric(l) && isNumeric(r)) return joinNumeric(l, r);
      const hint = l === 'mask' || r === 'mask' ? 'turn a mask into values with where(mask, a, b)' : l === 'restricted' || r === 'restricted' ? 'reduce x[g] first, e.g. mean(x[g])' : undefined;
      return this.report('E0301', `\`${e.op}\` cannot combine ${both}`, e.opSpan, hint);
    }
    if (COMPARISON.has(e.op)) {
      if (isNumeric(l) && isNumeric(r)) {
        if (l === 'tokens' || r === 'tokens') return 'mask';
        return this.report('E0301', `\`${e.op}\` between ${both} gives no per-token mask`, e.opSpan, 'compare token values, such as `p > τ`');
      }
      return this.report('E0301', `\`${e.op}\` cannot compare ${both}`, e.opSpan);
    }
    if (l === 'mask' && r === 'mask') return 'mask';
    return this.report('E0301', `\`${e.op}\` needs two masks, found ${both}`, e.opSpan);
  }

  private call(e: CallExpression, scope: Scope): CheckType {
    const fn = e.callee.name;
    if (isScorer(fn)) return this.scorer(e, fn, scope);
    if (e.rank !== undefined) {
      const what = fn === 'regex' ? 'regex(…), which is already a mask' : `${fn}()`;
      this.report('E0502', `\`${e.rank.direction}\` can only follow the arguments of a scorer, not ${what}`, e.rank.span, 'scorers: ' + Object.keys(SCORERS).join(', '));
    }
    const sig = FUNCTIONS[fn];
    if (sig === undefined) {
      for (const a of e.args) this.check(a.value, scope);
      if (RESERVED_NAMES.has(fn) || scope.visible.has(fn)) return this.report('E0310', `\`${fn}\` is a value, not a function`, e.callee.span);
      const suggestion = nearest(fn, CALLABLE_NAMES);
      return this.report('E0212', `unknown function \`${fn}\``, e.callee.span, suggestion ? `did you mean \`${suggestion}\`?` : undefined);
    }
    if (sig.rule === 'regex') return this.regex(e);
    if (sig.rule === 'schedule') return this.schedule(e, scope);
    const bound = bindArguments(e, sig.params, sig.required, sig, this.diagnostics);
    // Type every argument even when binding failed, so errors inside them are still reported.
    const types = new Map<Argument, CheckType>();
    for (const a of e.args) types.set(a, this.check(a.value, scope));
    if (bound === undefined) return 'error';
    if ([...types.values()].includes('error')) return 'error';
    const typeOf = (key: string) => types.get(bound.named.get(key)!)!;
    const arg = (key: string) => bound.named.get(key)!;
    const need = (a: Argument, ok: boolean, what: string): boolean => {
      if (!ok) this.report('E0302', `${fn}() needs ${what}, found ${typeName(types.get(a)!)}`, a.value.span);
      return ok;
    };
    const of = bound.named.get('of');
    // One rule a kind of built-in (src/language/builtins.ts names each function's rule).
    switch (FUNCTIONS[fn]!.rule) {
      case 'reduce-or-groups': {
        const first = fn === 'max' ? bound.positional[0]! : arg('x');
        const firstType = types.get(first)!;
        if (firstType === 'groups') {
          if (fn === 'max' && bound.positional.length > 1) return this.report('E0303', 'max(groups) takes no other positional values', bound.positional[1]!.span, 'write max(groups, of = x)');
          if (of !== undefined && !need(of, types.get(of) === 'tokens', 'tokens for `of`')) return 'error';
          return 'scalar';
        }
        if (of !== undefined) return this.report('E0304', `\`of\` is only allowed with groups: ${fn}(groups, of = x)`, of.name!.span);
        if (fn === 'mean') return need(first, firstType === 'tokens' || firstType === 'restricted', 'tokens') ? 'scalar' : 'error';
        if (bound.positional.length < 2) return this.report('E0303', 'max() needs at least two values, or groups', e.span);
        return this.elementwise(fn, bound.positional, types);
      }
      case 'reduce':
        return need(arg('x'), typeOf('x') === 'tokens' || typeOf('x') === 'restricted', 'tokens') ? 'scalar' : 'error';
      case 'count':
        return need(arg('g'), typeOf('g') === 'mask', 'a group or mask') ? 'scalar' : 'error';
      case 'group-rate': {
        const rate = fn === 'smoothmax' ? 'temperature' : 'step';
        let ok = need(arg('groups'), typeOf('groups') === 'groups', '`groups` as its first argument');
        ok = need(arg(rate), typeOf(rate) === 'number', `a constant number for \`${rate}\``) && ok;
        if (of !== undefined) ok = need(of, types.get(of) === 'tokens', 'tokens for `of`') && ok;
        return ok ? 'scalar' : 'error';
      }
      case 'cvar': {
        let ok = need(arg('x'), typeOf('x') === 'tokens' || typeOf('x') === 'restricted', 'tokens');
        ok = need(arg('fraction'), typeOf('fraction') === 'number', 'a percent') && ok;
        return ok ? 'scalar' : 'error';
      }
      case 'math':
        return need(arg('x'), isNumeric(typeOf('x')), 'a number, scalar or tokens') ? typeOf('x') : 'error';
      case 'elementwise':
        // min(a, b, …) and clip(x, lo, hi).
        return this.elementwise(fn, FUNCTIONS[fn]!.variadic ? bound.positional : FUNCTIONS[fn]!.params.map(arg), types);
      case 'where': {
        const ok = need(arg('cond'), typeOf('cond') === 'mask', 'a mask as its condition');
        const values = this.elementwise(fn, [arg('then'), arg('else')], types);
        return ok && values !== 'error' ? 'tokens' : 'error';
      }
      case 'const':
        return need(arg('value'), typeOf('value') === 'number', 'a constant number') ? 'scalar' : 'error';
    }
    return this.report('E0901', `no typing rule for ${fn}()`, e.span);
  }

  /** max, min, clip, where: elementwise over numbers, scalars and tokens, broadcasting. */
  private elementwise(fn: string, args: Argument[], types: Map<Argument, CheckType>): CheckType {
    let result: CheckType = 'number';
    for (const a of args) {
      const t = types.get(a)!;
      if (!isNumeric(t)) {
        const hint = t === 'groups' && fn === 'min' ? 'only max(groups) is defined' : t === 'mask' ? 'turn a mask into values with where(mask, a, b)' : undefined;
        return this.report('E0302', `${fn}() needs numbers, scalars or tokens, found ${typeName(t)}`, a.value.span, hint);
      }
      result = joinNumeric(result, t);
    }
    return result;
  }

  private schedule(e: CallExpression, scope: Scope): CheckType {
    const fn = e.callee.name;
    const sig = FUNCTIONS[fn]!;
    const bound = bindArguments(e, sig.params, sig.required, sig, this.diagnostics);
    if (bound === undefined) return 'error';
    let ok = true;
    const range = bound.named.get('range')!.value;
    if (range.kind !== 'Arrow') {
      this.check(range, scope);
      return this.report('E0302', `${fn}() needs a range \`a -> b\`, found ${range.kind === 'Number' ? 'a number' : 'an expression'}`, range.span, `write ${fn}(0.9 -> 0.05)`);
    }
    this.info.types.set(range, 'arrow');
    for (const end of [range.from, range.to]) {
      const t = this.check(end, scope);
      if (t !== 'number' && t !== 'error') {
        this.report('E0308', `the ends of ${fn}() must be constant numbers, found ${typeName(t)}`, end.span);
        ok = false;
      }
    }
    const over = bound.named.get('over');
    if (over !== undefined) {
      const t = this.check(over.value, scope);
      const v = t === 'number' ? this.constant(over.value) : undefined;
      if (t !== 'error' && (v === undefined || v < 0 || v > 1)) {
        this.report('E0308', `\`over\` of ${fn}() must be a percent in [0%, 100%]`, over.value.span);
        ok = false;
      }
    }
    return ok ? 'scalar' : 'error';
  }

  private regex(e: CallExpression): CheckType {
    const bound = bindArguments(e, ['pattern'], 1, {}, this.diagnostics);
    // A rank after regex(…) was reported by call() (E0502); it is not reported twice.
    if (bound === undefined) return 'error';
    const pattern = bound.named.get('pattern')!.value;
    if (pattern.kind !== 'String') return this.report('E0302', 'regex() needs a string pattern', pattern.span, 'write regex("^[0-9]+$")');
    this.info.types.set(pattern, 'string');
    const compiled = compileSafeRegex(pattern.value);
    if ('error' in compiled) {
      return this.report('E0506', `invalid regular expression: ${compiled.error}`, pattern.span, 'patterns use RE2 syntax (linear time): no lookaround (?=…) and no backreferences \\1');
    }
    return 'mask';
  }

  private scorer(e: CallExpression, fn: keyof typeof SCORERS, scope: Scope): CheckType {
    const info = SCORERS[fn];
    const params = info.params.map(([n]) => n);
    const required = info.params.filter(([, d]) => d === undefined).length;
    if (fn === 'excess_loss' && this.info.usesReference === undefined) this.info.usesReference = e.callee.span;
    const bound = bindArguments(e, params, required, {}, this.diagnostics);
    let ok = bound !== undefined;
    for (const [name, fallback] of info.params) {
      const a = bound?.named.get(name);
      if (a === undefined) continue;
      const v = a.value;
      const want = name === 'model' || name === 'field' ? 'string' : typeof fallback === 'boolean' ? 'bool' : typeof fallback === 'number' ? 'number' : 'string';
      const got: CheckType = v.kind === 'String' ? 'string' : v.kind === 'Boolean' ? 'bool' : v.kind === 'Number' ? 'number' : this.check(v, scope);
      this.info.types.set(v, got);
      if (got !== want) {
        if (got !== 'error') this.report('E0302', `argument \`${name}\` of ${fn}() must be a ${want} literal, found ${typeName(got)}`, v.span);
        ok = false;
        continue;
      }
      const choices = info.choices?.[name];
      if (choices !== undefined && v.kind === 'String' && !choices.includes(v.value)) {
        this.report('E0302', `argument \`${name}\` of ${fn}() must be one of ${choices.map((c) => `"${c}"`).join(', ')}`, v.span);
        ok = false;
      }
    }
    if (e.rank === undefined) return ok ? 'tokens' : 'error';
    return this.rank(e.rank, fn, scope) && ok ? 'mask' : 'error';
  }

  private rank(rank: Rank, fn: keyof typeof SCORERS, scope: Scope): boolean {
    let ok = true;
    if (rank.per === 'corpus' && SCORERS[fn].kind === 'dynamic') {
      this.report('E0503', `\`per corpus\` needs a static scorer; ${fn}() is recomputed every step`, rank.perSpan ?? rank.span, 'use `per sample` or `per batch`');
      ok = false;
    }
    const amount = rank.amount;
    const t = this.check(amount, scope);
    if (t === 'error') return false;
    const isPercentName = amount.kind === 'Identifier' && t === 'number';
    const v = amount.kind === 'Percent' || isPercentName ? this.constant(amount) : undefined;
    if (v === undefined || v < 0 || v > 1) {
      this.report('E0505', `the amount after \`${rank.direction}\` must be a percent, or a name bound to one`, amount.span, 'write `top 30%` or `param η = 30%` … `top η`');
      return false;
    }
    return ok;
  }

  /** The compile-time value of a number-typed expression (params with their overrides), if known. */
  constant(e: Expression): number | undefined {
    return constantValue(e, this.info, this.overrides);
  }
}
