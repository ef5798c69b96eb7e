// `sftgoc sweep`: the grid (grid.ts), the runs and ranking (run-sweep.ts), the table and figure (report.ts).
export { sweepGrid, splitTopLevel, MAX_GRID_POINTS, type Grid, type GridPoint } from './grid.js';
export { runSweep, rankPoints, isAccuracy, SWEEP_METRICS, type SweepMetric, type SweepOptions, type SweepResult, type SweepRow, type SweepRun } from './run-sweep.js';
