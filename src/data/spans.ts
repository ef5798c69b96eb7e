// Span scores arrive as code-point offsets of one field (what a Python program writing the data
// would count); samples index their text in UTF-16 code units (JavaScript strings). This converts
// and checks them.
import type { SchemaProblem } from './schema.js';

export type SpanScores = Record<string, Array<{ start: number; end: number; score: number }>>;

/** utf16At[k]: the UTF-16 index of code point k of `s`; utf16At[length in code points] = s.length. */
function codePointIndex(s: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; ) {
    out.push(i);
    i += s.codePointAt(i)! > 0xffff ? 2 : 1;
  }
  out.push(s.length);
  return out;
}

/**
 * Moves `scores` (code points of `field`) to UTF-16 offsets of the rendered text, where `field`
 * starts at `base`. Spans past the field's end or with start > end are problems at `pointer`.
 */
export function placeScores(scores: SpanScores | undefined, field: string, base: number, pointer: string, problems: SchemaProblem[]): SpanScores {
  const out: SpanScores = {};
  if (scores === undefined) return out;
  const index = codePointIndex(field);
  const length = index.length - 1;
  for (const [name, spans] of Object.entries(scores)) {
    out[name] = [];
    spans.forEach((span, i) => {
      const at = `${pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}/${i}`;
      if (span.end > length) problems.push({ pointer: `${at}/end`, message: `must be at most ${length}, the length in characters of the text it scores` });
      else if (span.start > span.end) problems.push({ pointer: `${at}/start`, message: `must not exceed end (${span.end})` });
      else out[name]!.push({ start: base + index[span.start]!, end: base + index[span.end]!, score: span.score });
    });
  }
  return out;
}
