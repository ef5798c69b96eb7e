// The canonical form of a `.sftgo` file, printed from its syntax tree and comments: statements on
// the lines the author put them (several on one line joined by `; `, as in the card's one-liner),
// blocks with one `key = value` a line indented two spaces (or on one line when written so),
// comments on their lines, and blank lines only where the user wrote them (several collapse to one;
// none at the start or end of the file, after `{` or before `}`).
import type { Comment, SourceFile } from '../parse/ast.js';
import { layout, type Unit } from './layout.js';

const INDENT = '  ';
/** Space before a comment that ends a line of code. */
const TRAILING_GAP = '  ';

interface Line {
  text: string;
  /** The source lines this printed line came from, for finding the blank lines between them. */
  fromLine: number;
  toLine: number;
  role: Unit['role'] | 'comment';
}

/** Formats an already parsed, error-free file. `source` is the text it was parsed from. */
export function formatSourceFile(file: SourceFile, source: string): string {
  const { units, tail } = layout(file, source);
  const lines: Line[] = [];
  let previous: Unit | undefined;
  for (const u of units) {
    const last = lines.at(-1);
    if (u.role === 'statement' && previous?.role === 'statement' && last !== undefined && u.startLine === previous.endLine
      && u.leading.length === 0 && u.hoisted.length === 0 && previous.trailing.length === 0) {
      // A second statement on the line of the first: `group g = tfidf(top 30%); loss = …`.
      last.text += `; ${u.text}${u.trailing.map((c) => TRAILING_GAP + commentText(c)).join('')}`;
      last.toLine = u.endLine;
      previous = u;
      continue;
    }
    previous = u;
    // Comments before a closing brace belong inside the block.
    const commentDepth = u.role === 'close' ? 1 : u.depth;
    for (const c of u.leading) lines.push(commentLine(c, commentDepth, c.span.start.line));
    // Hoisted comments stand just before their unit, with no blank line between.
    for (const c of u.hoisted) lines.push(commentLine(c, u.depth, u.startLine));
    const trailing = u.trailing.map((c) => TRAILING_GAP + commentText(c)).join('');
    lines.push({ text: INDENT.repeat(u.depth) + u.text + trailing, fromLine: u.startLine, toLine: u.endLine, role: u.role });
  }
  for (const c of tail) lines.push(commentLine(c, 0, c.span.start.line));
  return join(lines, source.split('\n'));
}

function commentText(c: Comment): string {
  return `${c.marker}${c.text}`.trimEnd();
}

function commentLine(c: Comment, depth: number, line: number): Line {
  return { text: INDENT.repeat(depth) + commentText(c), fromLine: line, toLine: line, role: 'comment' };
}

function join(lines: Line[], sourceLines: string[]): string {
  const out: string[] = [];
  let previous: Line | undefined;
  for (const line of lines) {
    if (previous !== undefined && previous.role !== 'open' && line.role !== 'close' && blankBetween(sourceLines, previous.toLine, line.fromLine)) {
      out.push('');
    }
    out.push(line.text);
    previous = line;
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Whether a whitespace-only source line lies strictly between two 1-based lines. */
function blankBetween(sourceLines: string[], after: number, before: number): boolean {
  for (let k = after + 1; k < before; k++) {
    if ((sourceLines[k - 1] ?? '').trim() === '') return true;
  }
  return false;
}
