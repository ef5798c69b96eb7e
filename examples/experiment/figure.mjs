// docs/experiment/compare.svg: the experiment's figure for a 1,000 px column: held-out ce and each
// grouping's worst group (the quantities the text discusses), every objective but those named in
// --leave-out (DFT is off the scale at 100 updates: its ce is ~11); the full table is compare.md.
//   node examples/experiment/figure.mjs OUT/compare/compare.json FIGURE.svg [--leave-out dft]
import { readFileSync, writeFileSync } from 'node:fs';
import { aggregate } from '../../dist/src/compare/aggregate.js';
import { compareSvg } from '../../dist/src/compare/figure.js';

const [src, out, ...rest] = process.argv.slice(2);
const leaveOut = new Set(rest[0] === '--leave-out' ? rest[1].split(',') : []);
const doc = JSON.parse(readFileSync(src, 'utf8'));
const runs = doc.runs.filter((r) => !leaveOut.has(r.objective)).map((r) => ({ objective: r.objective, file: r.file, seed: r.seed, runDir: r.run_dir, eval: r.eval }));
const table = aggregate(runs);
table.columns = table.columns.filter((c) => c === 'ce' || c.endsWith('/worst'));
const left = leaveOut.size > 0 ? ` (${[...leaveOut].join(', ')} left out: off the scale)` : '';
writeFileSync(out, compareSvg(table, runs, `Held-out ce and worst group under each grouping${left}`));
console.log(`wrote ${out}`);
