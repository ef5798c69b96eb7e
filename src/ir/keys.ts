// The names under which per-token values travel between stages: a static scorer's scores are
// keyed by its canonical call text, a `per corpus` rank's threshold by that text plus direction and
// amount. The groupers' cache, the score store, the evaluators and the engines all use these keys.
import { formatScorer } from './print.js';
import type { IrExpr, ScorerCall } from './nodes.js';

/** A scorer call's key: its canonical text with every argument, e.g. `tfidf(smooth = true, sublinear = false)`. */
export function scorerKey(s: ScorerCall): string {
  return formatScorer(s, true);
}

/** A `per corpus` rank's threshold key, e.g. `tfidf(smooth = true, sublinear = false) top 0.3`. */
export function rankKey(n: Extract<IrExpr, { op: 'rank' }>, amount: number): string {
  return `${scorerKey(n.scorer)} ${n.direction} ${amount}`;
}
