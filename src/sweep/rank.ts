// A sweep's ranking: every point's metrics as mean ± std over its seeds, ordered by one metric
// (losses ascending, accuracies descending; points without that metric last).
import { meanStd, type MeanStd } from '../compare/aggregate.js';
import { isAccuracy, SWEEP_METRICS, type SweepMetric, type SweepRow, type SweepRun } from './types.js';

/** Mean ± std per point of every metric, ranked by `by` (losses ascending, accuracies descending). */
export function rankPoints(points: readonly string[], runs: readonly SweepRun[], by: SweepMetric): SweepRow[] {
  const rows = points.map((point) => {
    const mine = runs.filter((r) => r.point === point);
    const cells = Object.fromEntries(SWEEP_METRICS.map((m) => [m, meanStd(mine.map((r) => r[m]).filter((v): v is number => v !== undefined))])) as Record<SweepMetric, MeanStd>;
    return { rank: 0, point, cells };
  });
  const key = (r: SweepRow) => (r.cells[by].n === 0 ? Number.NaN : r.cells[by].mean);
  const sign = isAccuracy(by) ? -1 : 1;
  const ranked = [...rows].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
    return sign * (x - y);
  });
  ranked.forEach((r, i) => {
    r.rank = i + 1;
  });
  return ranked;
}
