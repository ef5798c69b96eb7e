// What an objective asks of the precompute pass: its distinct scorer calls (from the selectors and
// from anywhere else in the loss, e.g. `let w = tfidf()`), whether it needs the reference model's
// ce, and its `per corpus` ranks, whose thresholds come from the training scores.
import type { IrExpr, Objective, ScorerCall } from '../ir/nodes.js';
import { rankKey, scorerKey } from '../ir/reference-eval.js';
import { walk } from '../ir/walk.js';

function roots(o: Objective): IrExpr[] {
  return [o.loss, ...o.partition.groups.map((g) => g.selector), ...o.params.map((p) => p.value)];
}

/** Every distinct scorer call in the objective, static ones first, in first-seen order. */
export function objectiveScorers(o: Objective): ScorerCall[] {
  const found = new Map<string, ScorerCall>();
  for (const s of o.partition.scorers) found.set(scorerKey(s), s);
  for (const root of roots(o)) {
    walk(root, (n) => {
      if (n.op === 'scores' || n.op === 'rank') if (!found.has(scorerKey(n.scorer))) found.set(scorerKey(n.scorer), n.scorer);
    });
  }
  const all = [...found.values()];
  return [...all.filter((s) => s.kind === 'static'), ...all.filter((s) => s.kind === 'dynamic')];
}

export function needsReference(o: Objective): boolean {
  return o.requires.reference || objectiveScorers(o).some((s) => s.name === 'excess_loss');
}

export function hasRegex(o: Objective): boolean {
  let found = false;
  for (const root of roots(o)) walk(root, (n) => void (found ||= n.op === 'regex'));
  return found;
}

/** A rank's amount: a number constant, or a param whose value is one. */
export function constantValue(o: Objective, e: IrExpr, depth = 0): number | undefined {
  if (e.op === 'const') return e.value;
  if (e.op === 'param' && depth < 16) {
    const p = o.params.find((q) => q.name === e.name);
    return p === undefined ? undefined : constantValue(o, p.value, depth + 1);
  }
  return undefined;
}

export interface CorpusRank {
  key: string;
  scorer: ScorerCall;
  direction: 'top' | 'bottom';
  amount: number;
}

/** The `per corpus` ranks of the objective, keyed as reference-eval's EvalInputs.corpusThresholds. */
export function corpusRanks(o: Objective): CorpusRank[] {
  const out = new Map<string, CorpusRank>();
  for (const root of roots(o)) {
    walk(root, (n) => {
      if (n.op !== 'rank' || n.scope !== 'corpus') return;
      const amount = constantValue(o, n.amount);
      if (amount === undefined) return;
      out.set(rankKey(n, amount), { key: rankKey(n, amount), scorer: n.scorer, direction: n.direction, amount });
    });
  }
  return [...out.values()];
}
