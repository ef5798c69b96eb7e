// Prints expressions in canonical form: every token spelled as the author wrote it (`·`, `*` or
// `×`; `−` or `-`; `&` or `and`; `λ` or `lambda`; numbers such as `1e-5`), parentheses exactly where
// the user wrote them (Paren nodes), and only the spacing normalised: one space either side of a
// binary operator, except the paper's product dot, which binds tight (`λ·max(groups)`, as in
// SFT-GO's Eq. 3). No parentheses are ever added or removed: the parser built the tree from the
// written token order, so printing the same tokens in the same order reproduces the same tree.
import type { Argument, Expression, Rank } from '../parse/ast.js';

/** Binary operators printed without spaces around them. */
const TIGHT_OPERATORS = new Set(['·']);

/** A string literal with the three escapes the lexer understands (LANGUAGE.md section 2). */
export function printString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function printExpression(e: Expression): string {
  switch (e.kind) {
    case 'Number':
      return e.text;
    case 'Percent':
      // `text` is the literal as written; tolerate a parser that stores it without the sign.
      return e.text.endsWith('%') ? e.text : `${e.text}%`;
    case 'String':
      return printString(e.value);
    case 'Boolean':
      return e.value ? 'true' : 'false';
    case 'List':
      return `[${e.items.map(printExpression).join(', ')}]`;
    case 'Identifier':
      return e.text;
    case 'Unary':
      // `not` is a word and needs a space; `!`, `-` and `−` bind to their operand (`--x` is two minuses).
      if (e.op === 'not' && (e.opText ?? 'not') === 'not') return `not ${printExpression(e.operand)}`;
      return `${e.opText ?? '-'}${printExpression(e.operand)}`;
    case 'Binary': {
      const op = e.opText ?? e.op;
      return TIGHT_OPERATORS.has(op) ? `${printExpression(e.left)}${op}${printExpression(e.right)}` : `${printExpression(e.left)} ${op} ${printExpression(e.right)}`;
    }
    case 'Call': {
      const parts = e.args.map(printArgument);
      if (e.rank !== undefined) parts.push(printRank(e.rank));
      return `${e.callee.text}(${parts.join(', ')})`;
    }
    case 'Index':
      return `${printExpression(e.target)}[${printExpression(e.index)}]`;
    case 'Arrow':
      return `${printExpression(e.from)} -> ${printExpression(e.to)}`;
    case 'Paren':
      return `(${printExpression(e.inner)})`;
  }
}

function printArgument(a: Argument): string {
  return a.name === undefined ? printExpression(a.value) : `${a.name.text} = ${printExpression(a.value)}`;
}

function printRank(r: Rank): string {
  const amount = `${r.direction} ${printExpression(r.amount)}`;
  return r.per === undefined ? amount : `${amount} per ${r.per}`;
}
