// `sftgoc compare`: the orchestration (run-compare.ts) and its arithmetic (aggregate.ts).
export { aggregate, formatCell, markdownTable, meanStd, parseSeeds, type CompareRow, type CompareRun, type CompareTable, type MeanStd, type RunEval } from './aggregate.js';
export { runCompare, uniqueLabels, type CompareOptions, type CompareResult } from './run-compare.js';
