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
    'A `G/GROUP` column is that group\'s held-out loss of the row\'s final model under grouping G (the groups of the compared file G, or `fact`: the data\'s',
    '`scores.fact` spans), so every objective is measured on the same tokens; `G/worst` is the highest group loss of G in each run, averaged over seeds.',
    'Without groupings, a `group` column is the group as the row\'s own objective defines it (—: no such group). The figure is compare.svg (and compare.html).',
    'With --generate, `answers/contains`, `answers/facts` and `answers/exact` are the shares of the questions whose greedy answer contains the normalised',
    '`answer`, of the expected facts stated, and of exact matches (docs/generation.md); each run\'s answers are in its generations.jsonl.',
    '',
    '## Runs',
    '',
    ...runs.map((r) => `- ${r.objective}, seed ${r.seed}: \`${r.runDir}\` (held-out ce ${r.eval.ce.toFixed(4)})`),
    '',
  ].join('\n');
}
