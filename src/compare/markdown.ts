// compare.md: the table with what its numbers mean, and where each run is.
import { markdownTable, type CompareRun, type CompareTable } from './aggregate.js';

export function compareMarkdown(table: CompareTable, runs: readonly CompareRun[], info: { seeds: readonly number[]; data: { train: string; eval?: string } }): string {
  return [
    '# sftgoc compare',
    '',
    `Seeds ${info.seeds.join(', ')}; trained on \`${info.data.train}\`, evaluated on \`${info.data.eval ?? '?'}\`.`,
    '',
    markdownTable(table),
    '',
    'Each cell is the mean ± sample standard deviation (n−1) over seeds of the final held-out evaluation.',
    '`held-out ce` is the token-mean cross-entropy over all response tokens: the same quantity for every objective.',
    'A `group` column is that group\'s held-out loss as eval.jsonl records it, with the group as the row\'s own objective defines it (—: no such group),',
    'so group columns compare objectives only where they define the group the same way.',
    '',
    '## Runs',
    '',
    ...runs.map((r) => `- ${r.objective}, seed ${r.seed}: \`${r.runDir}\` (held-out ce ${r.eval.ce.toFixed(4)})`),
    '',
  ].join('\n');
}
