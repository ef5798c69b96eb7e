// Paired per-seed differences against SFT, from a compare.json: for every objective and column,
// (objective − sft) on the same seed (same data order, same initial weights), mean ± sample std of
// the differences, and how many seeds went each way. A loss column is better when lower, an answer
// column (answers/…) when higher; the verdict says which side every seed took.
//   node examples/experiment/paired.mjs OUT/compare/compare.json [BASELINE]
import { readFileSync } from 'node:fs';

const [file, baseline = 'sft'] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(file, 'utf8'));
const value = (run, column) => {
  const e = run.eval;
  if (column === 'ce') return e.ce;
  if (column.startsWith('answers/')) return e.answers?.[column.slice(8)];
  const cut = column.lastIndexOf('/');
  const gs = e.groupings?.[column.slice(0, cut)];
  if (gs === undefined) return undefined;
  const g = column.slice(cut + 1);
  if (g === 'worst') {
    const losses = Object.values(gs).filter((x) => x.tokens > 0).map((x) => x.loss);
    return losses.length > 0 ? Math.max(...losses) : undefined;
  }
  return gs[g]?.tokens > 0 ? gs[g].loss : undefined;
};
const columns = doc.columns.filter((c) => c === 'ce' || c.endsWith('/worst') || c.startsWith('answers/'));
const objectives = [...new Set(doc.runs.map((r) => r.objective))].filter((o) => o !== baseline);
const base = new Map(doc.runs.filter((r) => r.objective === baseline).map((r) => [r.seed, r]));
const fmt = (x) => (Math.abs(x) < 0.1 ? x.toFixed(4) : x.toFixed(3));
const lines = [
  `# Paired differences against ${baseline} (same seed), from ${file}`,
  '',
  'Each cell: mean ± sample std over seeds of (objective − baseline) on the same seed, then',
  '[better/worse/equal seeds]: lower is better for losses, higher for answers/… .',
  '',
  `| objective | ${columns.join(' | ')} |`,
  `| --- |${columns.map(() => ' ---: ').join('|')}|`,
];
for (const o of objectives) {
  const cells = columns.map((c) => {
    const diffs = doc.runs.filter((r) => r.objective === o && base.has(r.seed)).map((r) => [value(r, c), value(base.get(r.seed), c)]).filter(([a, b]) => a !== undefined && b !== undefined).map(([a, b]) => a - b);
    if (diffs.length === 0) return '—';
    const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
    const std = diffs.length > 1 ? Math.sqrt(diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (diffs.length - 1)) : NaN;
    const higherBetter = c.startsWith('answers/');
    const better = diffs.filter((d) => (higherBetter ? d > 0 : d < 0)).length;
    const worse = diffs.filter((d) => (higherBetter ? d < 0 : d > 0)).length;
    return `${fmt(mean)}${Number.isNaN(std) ? '' : ` ± ${fmt(std)}`} [${better}/${worse}/${diffs.length - better - worse}]`;
  });
  lines.push(`| ${o} | ${cells.join(' | ')} |`);
}
console.log(lines.join('\n'));
