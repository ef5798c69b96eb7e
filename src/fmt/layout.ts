// Splits a parsed file into the lines the formatter will print ("units") and attaches every comment
// to one of them, using only source positions:
//   - a comment inside a unit that becomes one line (a statement written over several lines inside
//     brackets) cannot stay where it was; it moves to its own line just before that unit ("hoisted"),
//   - a comment on the line where a unit ends stays at the end of that unit's line ("trailing"),
//   - any other comment is on a line of its own and leads the next unit, or ends the file.
// Comment order is preserved by construction: a unit's leading comments precede its hoisted ones,
// which precede its trailing one, exactly as in the source.
import type { BlockStatement, Comment, SourceFile, Statement } from '../parse/ast.js';
import { positionAt } from '../diagnostics/span.js';
import { printExpression, printString } from './print-expression.js';

export type UnitRole = 'statement' | 'open' | 'entry' | 'close';

export interface Unit {
  role: UnitRole;
  /** The canonical text of the line, without indentation or comment. */
  text: string;
  /** Nesting depth: 1 for block entries, 0 otherwise. */
  depth: number;
  /** Source offsets [start, end) and the source lines of the first and last character. */
  start: number;
  end: number;
  startLine: number;
  endLine: number;
  leading: Comment[];
  hoisted: Comment[];
  trailing: Comment[];
}

export interface Layout {
  units: Unit[];
  /** Own-line comments after the last unit. */
  tail: Comment[];
}

export function layout(file: SourceFile, source: string): Layout {
  const units = file.statements.flatMap((s) => unitsOf(s, source, file.comments));
  const tail: Comment[] = [];
  for (const c of file.comments) attach(c, units, tail);
  return { units, tail };
}

function unit(role: UnitRole, text: string, depth: number, start: number, end: number, startLine: number, endLine: number): Unit {
  return { role, text, depth, start, end, startLine, endLine, leading: [], hoisted: [], trailing: [] };
}

function unitsOf(s: Statement, source: string, comments: readonly Comment[]): Unit[] {
  const whole = (text: string) => [unit('statement', text, 0, s.span.start.offset, s.span.end.offset, s.span.start.line, s.span.end.line)];
  switch (s.kind) {
    case 'Objective':
      return whole(`objective ${s.name.text}`);
    case 'Import':
      return whole(`import ${printString(s.path.value)}`);
    case 'Param':
      return whole(`param ${s.name.text} = ${printExpression(s.value)}`);
    case 'Let':
      return whole(`let ${s.name.text} = ${printExpression(s.value)}`);
    case 'Group':
      return whole(`group ${s.name.text} = ${printExpression(s.selector)}`);
    case 'Loss':
      return whole(`loss = ${printExpression(s.value)}`);
    case 'Reward':
      return whole(`reward = ${printExpression(s.value)}`);
    case 'Block':
      return blockUnits(s, source, comments);
  }
}

/**
 * A block prints as `name {`, one entry a line, `}`; an empty block as `name {}`; a block the author
 * wrote on one line, without comments, stays on one line: `name { key = value, key = value }`.
 */
function blockUnits(b: BlockStatement, source: string, comments: readonly Comment[]): Unit[] {
  const start = b.span.start.offset;
  const end = b.span.end.offset;
  const hasComment = comments.some((c) => start <= c.span.start.offset && c.span.start.offset < end);
  if (b.entries.length === 0 && !hasComment) {
    return [unit('statement', `${b.block} {}`, 0, start, end, b.span.start.line, b.span.end.line)];
  }
  if (b.span.start.line === b.span.end.line && !hasComment) {
    const entries = b.entries.map((e) => `${e.key.text} = ${printExpression(e.value)}`).join(', ');
    return [unit('statement', `${b.block} { ${entries} }`, 0, start, end, b.span.start.line, b.span.end.line)];
  }
  const brace = openingBrace(source, b.keywordSpan.end.offset, end);
  const open = unit('open', `${b.block} {`, 0, start, brace + 1, b.span.start.line, positionAt(source, brace).line);
  const entries = b.entries.map((e) =>
    unit('entry', `${e.key.text} = ${printExpression(e.value)}`, 1, e.span.start.offset, e.span.end.offset, e.span.start.line, e.span.end.line),
  );
  // The span ends just after the closing brace.
  const close = unit('close', '}', 0, end - 1, end, b.span.end.line, b.span.end.line);
  return [open, ...entries, close];
}

/** The offset of the `{` after a block keyword (only blanks can stand between them in valid source). */
function openingBrace(source: string, from: number, limit: number): number {
  const at = source.indexOf('{', from);
  return at >= 0 && at < limit ? at : from;
}

function attach(c: Comment, units: Unit[], tail: Comment[]): void {
  const at = c.span.start.offset;
  const inside = units.find((u) => u.start <= at && at < u.end);
  if (inside !== undefined) {
    inside.hoisted.push(c);
    return;
  }
  let before: Unit | undefined;
  for (const u of units) if (u.end <= at) before = u;
  if (before !== undefined && before.endLine === c.span.start.line) {
    before.trailing.push(c);
    return;
  }
  const next = units.find((u) => u.start > at);
  if (next !== undefined) next.leading.push(c);
  else tail.push(c);
}
