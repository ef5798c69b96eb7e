// From chevrotain's concrete syntax tree to the AST of ast.ts, with exact spans. A statement that
// error recovery left without a required part (a missing operand, a missing name) is dropped, and
// so is a broken block entry: the syntax error has been reported, and a half-built node would only
// mislead the checker.
import { canonicalName } from '../language/builtins.js';
import type { CstElement, CstNode, IToken } from 'chevrotain';
import type {
  Argument, BinaryOperator, BlockEntry, BlockName, BlockStatement, CallExpression, Expression, Identifier, Rank, RankDirection,
  RankScope, Statement, StringLiteral,
} from './ast.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { joinSpans, type Span } from '../diagnostics/span.js';
import { E_SYNTAX } from './codes.js';
import { unescapeString } from './lexer.js';
import type { LineMap } from './positions.js';


const BINARY_OPERATORS: Readonly<Record<string, BinaryOperator>> = {
  '+': '+', '-': '-', '−': '-', '*': '*', '·': '*', '×': '*', '/': '/', '^': '^',
  '<': '<', '<=': '<=', '>': '>', '>=': '>=', '==': '==', '!=': '!=',
  and: 'and', '&': 'and', or: 'or', '|': 'or',
};

function isToken(element: CstElement | undefined): element is IToken {
  return element !== undefined && 'image' in element;
}

/** A token that was really in the source: not one that error recovery invented. */
function realToken(node: CstNode, key: string, index = 0): IToken | undefined {
  const element = node.children[key]?.[index];
  if (!isToken(element) || element.isInsertedInRecovery === true || Number.isNaN(element.startOffset)) return undefined;
  return element;
}

function child(node: CstNode, key: string, index = 0): CstNode | undefined {
  const element = node.children[key]?.[index];
  return element === undefined || isToken(element) ? undefined : element;
}

function count(node: CstNode, key: string): number {
  return node.children[key]?.length ?? 0;
}

export class AstBuilder {
  /** Syntax errors that only show once the tree is built (a rank that is not last). */
  readonly diagnostics: Diagnostic[] = [];

  constructor(private readonly lines: LineMap) {}

  private span(token: IToken): Span {
    return this.lines.span(token.startOffset, token.startOffset + token.image.length);
  }

  private identifier(token: IToken | undefined): Identifier | undefined {
    if (token === undefined) return undefined;
    return { kind: 'Identifier', span: this.span(token), name: canonicalName(token.image), text: token.image };
  }

  statement(node: CstNode): Statement | undefined {
    const [key, inner] = Object.entries(node.children)[0] ?? [];
    if (key === undefined || inner === undefined || isToken(inner[0]) || inner[0] === undefined) return undefined;
    const n = inner[0];
    switch (key) {
      case 'objectiveStatement': {
        const kw = realToken(n, 'Objective');
        const name = this.identifier(realToken(n, 'Identifier'));
        return kw && name && { kind: 'Objective', span: joinSpans(this.span(kw), name.span), name };
      }
      case 'importStatement': {
        const kw = realToken(n, 'Import');
        const path = this.string(realToken(n, 'StringLiteral'));
        return kw && path && { kind: 'Import', span: joinSpans(this.span(kw), path.span), path };
      }
      case 'paramStatement':
      case 'letStatement':
      case 'groupStatement': {
        const kw = realToken(n, key === 'paramStatement' ? 'Param' : key === 'letStatement' ? 'Let' : 'Group');
        const name = this.identifier(realToken(n, 'Identifier'));
        const value = this.optExpression(child(n, 'expression'));
        if (!kw || !name || !realToken(n, 'Equals') || !value) return undefined;
        const span = joinSpans(this.span(kw), value.span);
        if (key === 'groupStatement') return { kind: 'Group', span, name, selector: value };
        return { kind: key === 'paramStatement' ? 'Param' : 'Let', span, name, value };
      }
      case 'lossStatement': {
        const kw = realToken(n, 'Loss');
        const value = this.optExpression(child(n, 'expression'));
        return kw && realToken(n, 'Equals') && value && { kind: 'Loss', span: joinSpans(this.span(kw), value.span), value };
      }
      case 'rewardStatement': {
        const kw = realToken(n, 'Reward');
        const value = this.optExpression(child(n, 'expression'));
        return kw && realToken(n, 'Equals') && value && { kind: 'Reward', span: joinSpans(this.span(kw), value.span), value };
      }
      case 'blockStatement':
        return this.block(n);
      default:
        return undefined;
    }
  }

  private block(node: CstNode): BlockStatement | undefined {
    const kw = realToken(node, 'BlockKeyword');
    const open = realToken(node, 'LBrace');
    if (!kw || !open) return undefined;
    const entries: BlockEntry[] = [];
    for (let i = 0; i < count(node, 'blockEntry'); i++) {
      const entry = this.entry(child(node, 'blockEntry', i)!);
      if (entry) entries.push(entry);
    }
    const close = realToken(node, 'RBrace');
    const last = close ? this.span(close) : entries.at(-1)?.span ?? this.span(open);
    const keywordSpan = this.span(kw);
    return { kind: 'Block', span: joinSpans(keywordSpan, last), block: kw.image as BlockName, keywordSpan, entries };
  }

  private entry(node: CstNode): BlockEntry | undefined {
    const key = this.identifier(realToken(node, 'Name'));
    const value = this.optExpression(child(node, 'expression'));
    if (!key || !realToken(node, 'Equals') || !value) return undefined;
    return { kind: 'Entry', span: joinSpans(key.span, value.span), key, value };
  }

  private string(token: IToken | undefined): StringLiteral | undefined {
    return token && { kind: 'String', span: this.span(token), value: unescapeString(token.image) };
  }

  private optExpression(node: CstNode | undefined): Expression | undefined {
    return node === undefined ? undefined : this.expression(node);
  }

  /** Folds `operand (op operand)*` to the left, as chevrotain stores operands and operators in separate lists. */
  private leftFold(node: CstNode, operandKey: string, operatorKey: string, operand: (n: CstNode) => Expression | undefined): Expression | undefined {
    let left = this.optOperand(child(node, operandKey, 0), operand);
    for (let i = 0; i < count(node, operatorKey); i++) {
      const opToken = realToken(node, operatorKey, i);
      const right = this.optOperand(child(node, operandKey, i + 1), operand);
      if (!left || !opToken || !right) return undefined;
      left = { kind: 'Binary', span: joinSpans(left.span, right.span), op: BINARY_OPERATORS[opToken.image]!, left, right, opSpan: this.span(opToken), opText: opToken.image };
    }
    return left;
  }

  private optOperand(node: CstNode | undefined, operand: (n: CstNode) => Expression | undefined): Expression | undefined {
    return node === undefined ? undefined : operand(node);
  }

  expression(node: CstNode): Expression | undefined {
    return this.leftFold(node, 'andExpression', 'OrOperator', (n) => this.leftFold(n, 'notExpression', 'AndOperator', (m) => this.notExpression(m)));
  }

  private notExpression(node: CstNode): Expression | undefined {
    const op = realToken(node, 'NotOperator');
    if (op) {
      const operand = this.optOperand(child(node, 'notExpression'), (n) => this.notExpression(n));
      return operand && { kind: 'Unary', span: joinSpans(this.span(op), operand.span), op: 'not', operand, opSpan: this.span(op), opText: op.image };
    }
    const comparison = child(node, 'comparison');
    if (!comparison) return undefined;
    const additive = (n: CstNode) => this.leftFold(n, 'multiplicative', 'AdditiveOperator', (m) => this.leftFold(m, 'unary', 'MultiplicativeOperator', (u) => this.unary(u)));
    return this.leftFold(comparison, 'additive', 'ComparisonOperator', additive);
  }

  private unary(node: CstNode): Expression | undefined {
    const op = realToken(node, 'Minus');
    if (op) {
      const operand = this.optOperand(child(node, 'unary'), (n) => this.unary(n));
      return operand && { kind: 'Unary', span: joinSpans(this.span(op), operand.span), op: '-', operand, opSpan: this.span(op), opText: op.image };
    }
    const power = child(node, 'power');
    if (!power) return undefined;
    const base = this.optOperand(child(power, 'postfix'), (n) => this.postfix(n));
    if (count(power, 'Caret') === 0) return base;
    const caret = realToken(power, 'Caret');
    const exponent = this.optOperand(child(power, 'unary'), (n) => this.unary(n));
    if (!base || !caret || !exponent) return undefined;
    return { kind: 'Binary', span: joinSpans(base.span, exponent.span), op: '^', left: base, right: exponent, opSpan: this.span(caret), opText: caret.image };
  }

  private postfix(node: CstNode): Expression | undefined {
    let target = this.optOperand(child(node, 'primary'), (n) => this.primary(n));
    for (let i = 0; i < count(node, 'LBracket'); i++) {
      const index = this.optExpression(child(node, 'expression', i));
      const close = realToken(node, 'RBracket', i);
      if (!target || !index || !close) return undefined;
      target = { kind: 'Index', span: joinSpans(target.span, this.span(close)), target, index };
    }
    return target;
  }

  private primary(node: CstNode): Expression | undefined {
    const number = realToken(node, 'NumberLiteral');
    if (number) return { kind: 'Number', span: this.span(number), value: Number(number.image), text: number.image };
    const percent = realToken(node, 'PercentLiteral');
    if (percent) return { kind: 'Percent', span: this.span(percent), value: Number(percent.image.slice(0, -1)) / 100, text: percent.image };
    const string = this.string(realToken(node, 'StringLiteral'));
    if (string) return string;
    const bool = realToken(node, 'True') ?? realToken(node, 'False');
    if (bool) return { kind: 'Boolean', span: this.span(bool), value: bool.image === 'true' };
    const list = child(node, 'list');
    if (list) return this.list(list);
    const paren = child(node, 'parenthesized');
    if (paren) {
      const open = realToken(paren, 'LParen');
      const close = realToken(paren, 'RParen');
      const inner = this.optExpression(child(paren, 'expression'));
      return open && close && inner && { kind: 'Paren', span: joinSpans(this.span(open), this.span(close)), inner };
    }
    const nameOrCall = child(node, 'nameOrCall');
    return nameOrCall && this.nameOrCall(nameOrCall);
  }

  private list(node: CstNode): Expression | undefined {
    const open = realToken(node, 'LBracket');
    const close = realToken(node, 'RBracket');
    const items: Expression[] = [];
    for (let i = 0; i < count(node, 'expression'); i++) {
      const item = this.expression(child(node, 'expression', i)!);
      if (!item) return undefined;
      items.push(item);
    }
    return open && close && { kind: 'List', span: joinSpans(this.span(open), this.span(close)), items };
  }

  private nameOrCall(node: CstNode): Expression | undefined {
    const callee = this.identifier(realToken(node, 'Callee'));
    const argsNode = child(node, 'callArguments');
    if (!callee || !argsNode) return callee;
    const close = realToken(argsNode, 'RParen');
    if (!realToken(argsNode, 'LParen') || !close) return undefined;

    // Arguments and ranks live in separate child lists; order them by position to check that a rank comes last.
    const items: { offset: number; node: CstNode; isRank: boolean }[] = [];
    for (const key of ['argument', 'rank'] as const) {
      for (const element of argsNode.children[key] ?? []) {
        if (isToken(element)) continue;
        items.push({ offset: firstOffset(element), node: element, isRank: key === 'rank' });
      }
    }
    items.sort((a, b) => a.offset - b.offset);

    const args: Argument[] = [];
    let rank: Rank | undefined;
    for (const item of items) {
      if (item.isRank) {
        const built = this.rank(item.node);
        if (!built) return undefined;
        if (rank) this.diagnostics.push(error(E_SYNTAX, 'a call has at most one rank', built.span, 'keep one `top …` or `bottom …`'));
        rank = built;
      } else {
        const built = this.argument(item.node);
        if (!built) return undefined;
        if (rank) this.diagnostics.push(error(E_SYNTAX, 'the rank must come after the other arguments', rank.span, `move \`${rank.direction} …\` to the end of the call`));
        args.push(built);
      }
    }
    const call: CallExpression = { kind: 'Call', span: joinSpans(callee.span, this.span(close)), callee, args };
    if (rank) call.rank = rank;
    return call;
  }

  private argument(node: CstNode): Argument | undefined {
    const name = this.identifier(realToken(node, 'ArgumentName'));
    if (count(node, 'ArgumentName') > 0 && (!name || !realToken(node, 'Equals'))) return undefined;
    let value = this.optExpression(child(node, 'expression', 0));
    if (!value) return undefined;
    if (count(node, 'Arrow') > 0) {
      const to = this.optExpression(child(node, 'expression', 1));
      if (!to || !realToken(node, 'Arrow')) return undefined;
      value = { kind: 'Arrow', span: joinSpans(value.span, to.span), from: value, to };
    }
    const argument: Argument = { kind: 'Argument', span: name ? joinSpans(name.span, value.span) : value.span, value };
    if (name) argument.name = name;
    return argument;
  }

  private rank(node: CstNode): Rank | undefined {
    const direction = realToken(node, 'RankDirectionKeyword');
    const amount = this.optExpression(child(node, 'expression'));
    if (!direction || !amount) return undefined;
    const rank: Rank = { kind: 'Rank', span: joinSpans(this.span(direction), amount.span), direction: direction.image as RankDirection, amount };
    if (count(node, 'Per') > 0) {
      const per = realToken(node, 'Per');
      const scope = realToken(node, 'RankScopeKeyword');
      if (!per || !scope) return undefined;
      rank.per = scope.image as RankScope;
      rank.perSpan = this.lines.span(per.startOffset, scope.startOffset + scope.image.length);
      rank.span = joinSpans(rank.span, rank.perSpan);
    }
    return rank;
  }
}

/** The offset of the first real token under a CST node (Infinity when recovery left none). */
export function firstOffset(node: CstNode): number {
  let best = Infinity;
  for (const elements of Object.values(node.children)) {
    for (const element of elements) {
      const offset = isToken(element) ? (Number.isNaN(element.startOffset) ? Infinity : element.startOffset) : firstOffset(element);
      if (offset < best) best = offset;
    }
  }
  return best;
}
