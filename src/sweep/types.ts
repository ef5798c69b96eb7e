// The numbers of `sftgoc sweep`: its metrics, one run's values, one ranked grid point.
import type { MeanStd } from '../compare/aggregate.js';

export const SWEEP_METRICS = ['worst', 'ce', 'contains', 'facts', 'exact'] as const;
export type SweepMetric = (typeof SWEEP_METRICS)[number];
/** Accuracy metrics rank higher-is-better and need the questions answered. */
export const isAccuracy = (m: SweepMetric): boolean => m === 'contains' || m === 'facts' || m === 'exact';

/** One run's numbers. */
export interface SweepRun {
  point: string;
  seed: number;
  runDir: string;
  ce: number;
  /** The highest held-out group loss (groups with tokens); undefined without groups. */
  worst?: number;
  contains?: number;
  facts?: number;
  exact?: number;
}

export interface SweepRow {
  rank: number;
  point: string;
  cells: Record<SweepMetric, MeanStd>;
}
