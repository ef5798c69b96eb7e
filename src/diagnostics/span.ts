// A span is a half-open range of a source file, kept both as character offsets (for slicing)
// and as 1-based line/column pairs (for humans). Every AST node and every diagnostic carries one.

export interface Position {
  /** 0-based offset in UTF-16 code units of the source string. */
  offset: number;
  /** 1-based line. */
  line: number;
  /** 1-based column, counted in code points, so `λ` is one column. */
  col: number;
}

export interface Span {
  file: string;
  start: Position;
  /** Exclusive end. */
  end: Position;
}

/** The span that covers both `a` and `b` (they must come from the same file). */
export function joinSpans(a: Span, b: Span): Span {
  const start = a.start.offset <= b.start.offset ? a.start : b.start;
  const end = a.end.offset >= b.end.offset ? a.end : b.end;
  return { file: a.file, start, end };
}

/** Computes the position of `offset` in `source` by scanning; used where a pass only has an offset. */
export function positionAt(source: string, offset: number): Position {
  let line = 1;
  let col = 1;
  const stop = Math.max(0, Math.min(offset, source.length));
  for (let i = 0; i < stop; i++) {
    const c = source.charCodeAt(i);
    if (c === 10) {
      line++;
      col = 1;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      // Low surrogate: the pair already counted one column.
    } else {
      col++;
    }
  }
  return { offset: stop, line, col };
}

export function spanOf(file: string, source: string, startOffset: number, endOffset: number): Span {
  return { file, start: positionAt(source, startOffset), end: positionAt(source, endOffset) };
}

/** A span of zero width at the start of a file, for diagnostics that concern a file as a whole. */
export function fileSpan(file: string): Span {
  const p = { offset: 0, line: 1, col: 1 };
  return { file, start: p, end: p };
}
