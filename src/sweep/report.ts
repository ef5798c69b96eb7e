// sweep.md and sweep.svg: the ranked table (mean ± std over seeds of every metric) and a figure of
// the ranking metric per grid point, each seed a dot and the mean ± std a bar, sized for a
// 1,000 px column with 13 px text, an axis title and n in the caption. Self-contained SVG.
import { formatCell, type MeanStd } from '../compare/aggregate.js';
import { niceTicks } from '../report/svg-chart.js';
import type { SweepMetric, SweepRow, SweepRun } from './types.js';

export interface SweepInfo {
  file: string;
  by: SweepMetric;
  seeds: readonly number[];
  axes: readonly string[];
  fixed: readonly string[];
  generate: boolean;
}

const TITLES: Record<SweepMetric, string> = {
  worst: 'held-out worst-group loss (nats/token)',
  ce: 'held-out ce (nats/token)',
  contains: 'answers containing the expected answer',
  facts: 'share of expected facts stated',
  exact: 'exact-match answers',
};

const isShare = (m: SweepMetric) => m === 'contains' || m === 'facts' || m === 'exact';

function cell(m: SweepMetric, c: MeanStd): string {
  if (!isShare(m) || c.n === 0) return formatCell(c);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return Number.isNaN(c.std) ? `${pct(c.mean)} (1 seed)` : `${pct(c.mean)} ± ${pct(c.std)}`;
}

function columns(info: SweepInfo, rows: readonly SweepRow[]): SweepMetric[] {
  const cols: SweepMetric[] = ['ce'];
  if (rows.some((r) => r.cells.worst.n > 0)) cols.push('worst');
  if (info.generate) cols.push('contains', 'facts', 'exact');
  return cols;
}

export function sweepMarkdown(rows: readonly SweepRow[], runs: readonly SweepRun[], info: SweepInfo): string {
  const cols = columns(info, rows);
  const head = ['rank', 'point', ...cols.map((c) => (c === info.by ? `**${c}**` : c))];
  return [
    `# sftgoc sweep of ${info.file}`,
    '',
    `Grid over ${info.axes.join(', ')}${info.fixed.length > 0 ? `, with ${info.fixed.join(', ')}` : ''}; seeds ${info.seeds.join(', ')}; ranked by ${info.by} (${TITLES[info.by]}, ${isShare(info.by) ? 'higher' : 'lower'} is better).`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...rows.map((r) => `| ${[String(r.rank), r.point, ...cols.map((c) => cell(c, r.cells[c]))].join(' | ')} |`),
    '',
    'Each cell is the mean ± sample standard deviation (n − 1) over seeds of the final held-out evaluation; `worst` is the highest',
    'group loss of each run, then averaged. The figure is sweep.svg.',
    '',
    '## Runs',
    '',
    ...runs.map((r) => `- ${r.point}, seed ${r.seed}: \`${r.runDir}\` (ce ${r.ce.toFixed(4)}${r.worst !== undefined ? `, worst ${r.worst.toFixed(4)}` : ''})`),
    '',
  ].join('\n');
}

const escapeXml = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One line per grid point in rank order: seeds as dots, mean as a bar with ± std whiskers. */
export function sweepSvg(rows: readonly SweepRow[], runs: readonly SweepRun[], info: SweepInfo): string {
  const m = info.by;
  const scale = isShare(m) ? 100 : 1;
  const values = runs.map((r) => r[m]).filter((v): v is number => v !== undefined).map((v) => v * scale);
  const width = 1000;
  const labelW = 330;
  const left = labelW + 10;
  const right = 30;
  const top = 56;
  const lineH = 30;
  const plotH = Math.max(1, rows.length) * lineH;
  const height = top + plotH + 70;
  let lo = values.length > 0 ? Math.min(...values) : 0;
  let hi = values.length > 0 ? Math.max(...values) : 1;
  for (const r of rows) {
    const c = r.cells[m];
    if (c.n > 1 && Number.isFinite(c.std)) {
      lo = Math.min(lo, (c.mean - c.std) * scale);
      hi = Math.max(hi, (c.mean + c.std) * scale);
    }
  }
  const pad = hi > lo ? (hi - lo) * 0.08 : Math.max(Math.abs(hi) * 0.05, 0.01);
  lo -= pad;
  hi += pad;
  const ticks = niceTicks(lo, hi, 6);
  const x = (v: number) => left + ((v - lo) / (hi - lo)) * (width - left - right);
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`);
  o.push('<rect width="100%" height="100%" fill="white"/>');
  o.push(`<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(`${TITLES[m]} by grid point (ranked${isShare(m) ? ', higher is better' : ', lower is better'})`)}</text>`);
  o.push(`<text x="10" y="42" fill="#444">${escapeXml(`n = ${info.seeds.length} seed${info.seeds.length === 1 ? '' : 's'} per point (${info.seeds.join(', ')}): dots are seeds, the bar is the mean ± std; ${info.file}`)}</text>`);
  for (const t of ticks) {
    if (t < lo || t > hi) continue;
    o.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${top}" y2="${top + plotH}" stroke="#e3e3e3"/>`);
    o.push(`<text x="${x(t).toFixed(1)}" y="${top + plotH + 18}" text-anchor="middle">${escapeXml(`${Number(t.toPrecision(4))}${isShare(m) ? '%' : ''}`)}</text>`);
  }
  o.push(`<line x1="${left}" x2="${width - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  o.push(`<text x="${(left + width - right) / 2}" y="${top + plotH + 44}" text-anchor="middle">${escapeXml(isShare(m) ? `${TITLES[m]} (%)` : TITLES[m])}</text>`);
  rows.forEach((r, i) => {
    const cy = top + i * lineH + lineH / 2;
    o.push(`<text x="${labelW}" y="${cy + 4}" text-anchor="end">${escapeXml(`${r.rank}. ${r.point}`)}</text>`);
    const c = r.cells[m];
    if (c.n > 0) {
      if (c.n > 1 && Number.isFinite(c.std)) {
        o.push(`<path d="M${x((c.mean - c.std) * scale).toFixed(1)} ${cy}H${x((c.mean + c.std) * scale).toFixed(1)}" stroke="#4C72B0" stroke-width="2"/>`);
      }
      o.push(`<rect x="${(x(c.mean * scale) - 2).toFixed(1)}" y="${cy - 9}" width="4" height="18" fill="#4C72B0"><title>${escapeXml(`${r.point}: ${cell(m, c)}`)}</title></rect>`);
    }
    for (const run of runs.filter((u) => u.point === r.point)) {
      const v = run[m];
      if (v !== undefined) o.push(`<circle cx="${x(v * scale).toFixed(1)}" cy="${cy}" r="4" fill="#DD8452" fill-opacity="0.8"><title>${escapeXml(`seed ${run.seed}: ${v * scale}`)}</title></circle>`);
    }
  });
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}
