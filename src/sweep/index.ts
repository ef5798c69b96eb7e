// `sftgoc sweep`'s library: the grid (grid.ts), the ranking (rank.ts), the table and figure (report.ts);
// the command's body is src/app/sweep.ts.
export { sweepGrid, splitTopLevel, MAX_GRID_POINTS, type Grid, type GridPoint } from './grid.js';
export { rankPoints } from './rank.js';
export { isAccuracy, SWEEP_METRICS, type SweepMetric, type SweepRow, type SweepRun } from './types.js';
