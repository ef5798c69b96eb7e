// `sftgoc compare`'s library: its arithmetic (aggregate.ts); the command's body is src/app/compare.ts.
export { aggregate, formatCell, markdownTable, meanStd, parseSeeds, type CompareRow, type CompareRun, type CompareTable, type MeanStd, type RunEval } from './aggregate.js';
