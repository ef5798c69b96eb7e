// Offsets to line/column positions. The lexer works in UTF-16 offsets; humans (and Span) count
// columns in code points, so `λ` is one column. A line table with binary search keeps this linear
// overall, where `positionAt` in diagnostics/span.ts would rescan the file for every node.
import type { Position, Span } from '../diagnostics/span.js';

export class LineMap {
  /** Offset at which each line starts; lineStarts[0] is 0. */
  private readonly lineStarts: number[] = [0];
  /**
   * lowSurrogatesBefore[i]: low surrogates in source[0, i), so a column is an O(1) subtraction even on
   * a very long line. Absent when the source has none (the common case): then columns are offsets.
   */
  private readonly lowSurrogatesBefore?: Uint32Array;

  constructor(
    private readonly source: string,
    readonly file: string,
  ) {
    let surrogates = false;
    for (let i = 0; i < source.length; i++) {
      const c = source.charCodeAt(i);
      if (c === 10) this.lineStarts.push(i + 1);
      else if (c >= 0xdc00 && c <= 0xdfff) surrogates = true;
    }
    if (surrogates) {
      const before = new Uint32Array(source.length + 1);
      for (let i = 0; i < source.length; i++) {
        const c = source.charCodeAt(i);
        before[i + 1] = before[i]! + (c >= 0xdc00 && c <= 0xdfff ? 1 : 0);
      }
      this.lowSurrogatesBefore = before;
    }
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
    // A low surrogate belongs to the code point that its high surrogate already counted.
    const surrogates = this.lowSurrogatesBefore === undefined ? 0 : this.lowSurrogatesBefore[clamped]! - this.lowSurrogatesBefore[lineStart]!;
    return { offset: clamped, line: lo + 1, col: clamped - lineStart - surrogates + 1 };
  }

  span(startOffset: number, endOffset: number): Span {
    return { file: this.file, start: this.position(startOffset), end: this.position(Math.max(startOffset, endOffset)) };
  }

  get length(): number {
    return this.source.length;
  }
}
