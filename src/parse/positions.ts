// Offsets to line/column positions. The lexer works in UTF-16 offsets; humans (and Span) count
// columns in code points, so `λ` is one column. A line table with binary search keeps this linear
// overall, where `positionAt` in diagnostics/span.ts would rescan the file for every node.
import type { Position, Span } from '../diagnostics/span.js';

export class LineMap {
  /** Offset at which each line starts; lineStarts[0] is 0. */
  private readonly lineStarts: number[] = [0];

  constructor(
    private readonly source: string,
    readonly file: string,
  ) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.source.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= clamped) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = this.lineStarts[lo]!;
    let col = 1;
    for (let i = lineStart; i < clamped; i++) {
      const c = this.source.charCodeAt(i);
      // A low surrogate belongs to the code point its high surrogate already counted.
      if (c < 0xdc00 || c > 0xdfff) col++;
    }
    return { offset: clamped, line: lo + 1, col };
  }

  span(startOffset: number, endOffset: number): Span {
    return { file: this.file, start: this.position(startOffset), end: this.position(Math.max(startOffset, endOffset)) };
  }

  get length(): number {
    return this.source.length;
  }
}
