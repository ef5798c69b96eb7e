// compare.svg / compare.html: per-group held-out loss per objective as grouped bars with ± std
// whiskers, one cluster per table column (held-out ce, then each grouping's groups and worst
// group). Self-contained: inline SVG, no scripts, no fonts or files fetched, so the HTML opens from
// disk anywhere and the SVG can go straight into a paper draft or docs/.
import { formatCell, formatColumnCell, isAnswerColumn, runValue, type CompareRun, type CompareTable } from './aggregate.js';

const COLOURS = ['#4C72B0', '#DD8452', '#55A868', '#C44E52', '#8172B3', '#937860', '#DA8BC3', '#8C8C8C', '#CCB974', '#64B5CD'];

const escapeXml = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const columnTitle = (c: string) => (c === 'ce' ? 'held-out ce' : c);

/**
 * The figure as an SVG document, sized for a 1,000 px column: clusters share the width, text is
 * 12 px or more, each seed's value is a dot over its objective's bar (mean) and ± std whisker, and
 * the caption says n. Cells without a value (no tokens, no such group) draw nothing.
 */
export function compareSvg(table: CompareTable, runs: readonly CompareRun[] = [], title = 'Held-out loss per group'): string {
  const rows = table.rows;
  // Losses only: answer shares (--generate) are another scale, and the table beside the figure has them.
  const cols = table.columns.filter((c) => !isAnswerColumn(c));
  const width = 1000;
  const left = 64;
  const legendW = 170;
  const top = 58;
  const plotH = 300;
  const bottom = 130;
  const clusterW = (width - left - legendW) / Math.max(1, cols.length);
  const gap = Math.min(18, clusterW * 0.25);
  const barW = (clusterW - gap) / Math.max(1, rows.length);
  const height = top + plotH + bottom;
  let hi = 0;
  for (const r of rows) {
    for (const c of cols) {
      const cell = r.cells[c];
      if (cell && cell.n > 0) hi = Math.max(hi, cell.mean + (Number.isFinite(cell.std) ? cell.std : 0));
    }
  }
  for (const run of runs) for (const c of cols) hi = Math.max(hi, runValue(run, c) ?? 0);
  const yMax = niceCeil(hi > 0 ? hi * 1.05 : 1);
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const seeds = new Set(runs.map((r) => r.seed));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="13">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<text x="${left}" y="42" fill="#444">${escapeXml(`Bars: mean over n = ${seeds.size || '?'} seed${seeds.size === 1 ? '' : 's'} per objective; whiskers: ± sample std; dots: each seed.`)}</text>`);
  // Axis and grid.
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = (yMax * i) / ticks;
    out.push(`<line x1="${left}" x2="${(left + cols.length * clusterW).toFixed(1)}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  out.push(`<line x1="${left}" x2="${(left + cols.length * clusterW).toFixed(1)}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  out.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">held-out loss (nats/token)</text>`);
  cols.forEach((c, ci) => {
    const x0 = left + ci * clusterW + gap / 2;
    rows.forEach((r, ri) => {
      const cell = r.cells[c];
      if (!cell || cell.n === 0 || !Number.isFinite(cell.mean)) return;
      const x = x0 + ri * barW;
      const colour = COLOURS[ri % COLOURS.length]!;
      out.push(`<rect x="${x.toFixed(1)}" y="${y(cell.mean).toFixed(1)}" width="${Math.max(1, barW - 2).toFixed(1)}" height="${(top + plotH - y(cell.mean)).toFixed(1)}" fill="${colour}" fill-opacity="0.85"><title>${escapeXml(`${r.objective}, ${columnTitle(c)}: ${formatCell(cell)}`)}</title></rect>`);
      const cx = x + (barW - 2) / 2;
      if (Number.isFinite(cell.std) && cell.std > 0) {
        const a = y(cell.mean - cell.std);
        const b = y(cell.mean + cell.std);
        out.push(`<path d="M${cx.toFixed(1)} ${a.toFixed(1)}V${b.toFixed(1)}M${(cx - 3).toFixed(1)} ${a.toFixed(1)}h6M${(cx - 3).toFixed(1)} ${b.toFixed(1)}h6" stroke="#222" fill="none"/>`);
      }
      for (const run of runs.filter((u) => u.objective === r.objective)) {
        const v = runValue(run, c);
        if (v !== undefined) out.push(`<circle cx="${cx.toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.5" fill="#111" fill-opacity="0.7"><title>${escapeXml(`${r.objective}, seed ${run.seed}: ${v.toFixed(4)}`)}</title></circle>`);
      }
    });
    const lx = x0 + (rows.length * barW) / 2;
    out.push(`<text transform="translate(${lx.toFixed(1)} ${top + plotH + 14}) rotate(35)" text-anchor="start" font-size="12">${escapeXml(columnTitle(c))}</text>`);
  });
  out.push(`<text x="${(left + (cols.length * clusterW) / 2).toFixed(1)}" y="${height - 10}" text-anchor="middle">held-out quantity: ce, then each grouping's groups and its worst group (G/GROUP)</text>`);
  // Legend.
  const lx = left + cols.length * clusterW + 16;
  rows.forEach((r, ri) => {
    const ly = top + 10 + ri * 20;
    out.push(`<rect x="${lx}" y="${ly - 10}" width="13" height="13" fill="${COLOURS[ri % COLOURS.length]}"/>`);
    out.push(`<text x="${lx + 19}" y="${ly + 1}">${escapeXml(r.objective)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** A standalone page: the figure, the table of mean ± std, and the run directories. */
export function compareHtml(table: CompareTable, runs: readonly CompareRun[], info: { seeds: readonly number[]; data: { train: string; eval?: string } }): string {
  const head = ['objective', ...table.columns.map(columnTitle)].map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const body = table.rows.map((r) => `<tr><td>${escapeXml(r.objective)}</td>${table.columns.map((c) => `<td>${escapeXml(formatColumnCell(c, r.cells[c] ?? null))}</td>`).join('')}</tr>`).join('\n');
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><title>sftgoc compare</title>',
    '<style>body{font-family:sans-serif;margin:2em;max-width:90em}.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right;white-space:nowrap}td:first-child,th:first-child{text-align:left}</style>',
    '</head><body>',
    '<h1>sftgoc compare</h1>',
    `<p>Seeds ${escapeXml(info.seeds.join(', '))}; trained on <code>${escapeXml(info.data.train)}</code>, evaluated on <code>${escapeXml(info.data.eval ?? '?')}</code>. ` +
      'Every model is evaluated under every grouping; <code>G/worst</code> is the worst group of grouping G in each run, averaged over seeds.</p>',
    compareSvg(table, runs),
    `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`,
    '<h2>Runs</h2><ul>',
    ...runs.map((r) => `<li>${escapeXml(r.objective)}, seed ${r.seed}: <code>${escapeXml(r.runDir)}</code></li>`),
    '</ul></body></html>',
    '',
  ].join('\n');
}

function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(Math.abs(v) < 1 ? 2 : 1);
}
