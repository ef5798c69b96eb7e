// The "overlaps most" rule shared by column() and llmlingua2(): a token [a, b) takes the span
// [s, e) that shares the most characters with it, max(0, min(b, e) − max(a, s)). Ties go to the
// earlier span in the list; a token that shares no character with any span (including an empty
// token such as an end-of-sequence marker) gets none.

export interface CharSpan {
  start: number;
  end: number;
}

export function overlap(a: number, b: number, s: number, e: number): number {
  return Math.max(0, Math.min(b, e) - Math.max(a, s));
}

/** Index of the span that overlaps [a, b) most, or −1 when none does. Plain scan: spans are few per sample. */
export function bestSpan(spans: readonly CharSpan[], a: number, b: number): number {
  let best = -1;
  let most = 0;
  for (let i = 0; i < spans.length; i++) {
    const o = overlap(a, b, spans[i]!.start, spans[i]!.end);
    if (o > most) {
      most = o;
      best = i;
    }
  }
  return best;
}
