// compare.svg / compare.html: per-group held-out loss per objective as grouped bars with ± std
// whiskers, one cluster per table column (held-out ce, then each grouping's groups and worst
// group). Self-contained: inline SVG, no scripts, no fonts or files fetched, so the HTML opens from
// disk anywhere and the SVG can go straight into a paper draft or docs/.
import { formatCell, formatColumnCell, isAnswerColumn, type CompareRun, type CompareTable } from './aggregate.js';

const COLOURS = ['#4C72B0', '#DD8452', '#55A868', '#C44E52', '#8172B3', '#937860', '#DA8BC3', '#8C8C8C', '#CCB974', '#64B5CD'];

const escapeXml = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const columnTitle = (c: string) => (c === 'ce' ? 'held-out ce' : c);

/** The figure as an SVG document. Cells without a value (no tokens, no such group) draw no bar. */
export function compareSvg(table: CompareTable, title = 'Held-out loss per group (mean ± std over seeds)'): string {
  const rows = table.rows;
  // Losses only: answer shares (--generate) are another scale, and the table beside the figure has them.
  const cols = table.columns.filter((c) => !isAnswerColumn(c));
  const barW = 14;
  const gap = 18;
  const clusterW = Math.max(1, rows.length) * barW + gap;
  const left = 56;
  const top = 40;
  const plotH = 260;
  const bottom = 110;
  const legendW = 190;
  const width = left + cols.length * clusterW + legendW;
  const height = top + plotH + bottom;
  let hi = 0;
  for (const r of rows) {
    for (const c of cols) {
      const cell = r.cells[c];
      if (cell && cell.n > 0) hi = Math.max(hi, cell.mean + (Number.isFinite(cell.std) ? cell.std : 0));
    }
  }
  const yMax = niceCeil(hi > 0 ? hi * 1.05 : 1);
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${left}" y="20" font-size="13" font-weight="bold">${escapeXml(title)}</text>`);
  // Axis and grid.
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = (yMax * i) / ticks;
    out.push(`<line x1="${left}" x2="${left + cols.length * clusterW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  out.push(`<text transform="translate(14 ${top + plotH / 2}) rotate(-90)" text-anchor="middle">loss (nats/token)</text>`);
  cols.forEach((c, ci) => {
    const x0 = left + ci * clusterW + gap / 2;
    rows.forEach((r, ri) => {
      const cell = r.cells[c];
      if (!cell || cell.n === 0 || !Number.isFinite(cell.mean)) return;
      const x = x0 + ri * barW;
      const colour = COLOURS[ri % COLOURS.length]!;
      out.push(`<rect x="${x}" y="${y(cell.mean).toFixed(1)}" width="${barW - 2}" height="${(top + plotH - y(cell.mean)).toFixed(1)}" fill="${colour}"><title>${escapeXml(`${r.objective}, ${columnTitle(c)}: ${formatCell(cell)}`)}</title></rect>`);
      if (Number.isFinite(cell.std) && cell.std > 0) {
        const cx = x + (barW - 2) / 2;
        const a = y(cell.mean - cell.std);
        const b = y(cell.mean + cell.std);
        out.push(`<path d="M${cx} ${a.toFixed(1)}V${b.toFixed(1)}M${cx - 3} ${a.toFixed(1)}h6M${cx - 3} ${b.toFixed(1)}h6" stroke="#222" fill="none"/>`);
      }
    });
    const lx = x0 + (rows.length * barW) / 2;
    out.push(`<text transform="translate(${lx} ${top + plotH + 12}) rotate(35)" text-anchor="start">${escapeXml(columnTitle(c))}</text>`);
  });
  // Legend.
  const lx = left + cols.length * clusterW + 16;
  rows.forEach((r, ri) => {
    const ly = top + 10 + ri * 18;
    out.push(`<rect x="${lx}" y="${ly - 9}" width="12" height="12" fill="${COLOURS[ri % COLOURS.length]}"/>`);
    out.push(`<text x="${lx + 18}" y="${ly + 1}">${escapeXml(r.objective)}</text>`);
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
    '<style>body{font-family:sans-serif;margin:2em;max-width:90em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}</style>',
    '</head><body>',
    '<h1>sftgoc compare</h1>',
    `<p>Seeds ${escapeXml(info.seeds.join(', '))}; trained on <code>${escapeXml(info.data.train)}</code>, evaluated on <code>${escapeXml(info.data.eval ?? '?')}</code>. ` +
      'Every model is evaluated under every grouping; <code>G/worst</code> is the worst group of grouping G in each run, averaged over seeds.</p>',
    compareSvg(table),
    `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`,
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
