// Line charts as inline SVG for report.html: axes with rounded ticks, one polyline per series and a
// legend. The first series is the headline (the objective's loss): it is drawn last, dashed, so a
// curve that coincides with it (ce under plain SFT) or crosses it stays visible. Noisy per-step
// series (`smooth`) are drawn faint with a moving average on top. Drawn by hand because the page must be self-contained (no scripts, no network) and the
// charts are simple; a chart library would bring a runtime for four plots.
import { escapeHtml } from '../groupers/view/html.js';

export interface Series {
  name: string;
  /** [x, y] pairs; non-finite values are left out of the line. */
  points: ReadonlyArray<readonly [number, number]>;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Log-scale y (positive values only). */
  logY?: boolean;
  /** Per-step training curves: each raw line faint, its moving average drawn over it. */
  smooth?: boolean;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];
const WIDTH = 640;
const HEIGHT = 300;
const MARGIN = { left: 64, right: 16, top: 28, bottom: 42 };

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const rough = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  // Integer multiples of the step, not a running sum: a tick at 0 is 0, not 1.4e-17.
  for (let k = Math.ceil(lo / step); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/** Centred moving average over about 1/25 of the points (at least 5), shorter at the ends; the points as they are when fewer than 20. */
export function smoothed(points: ReadonlyArray<readonly [number, number]>): Array<readonly [number, number]> {
  if (points.length < 20) return [...points];
  const half = Math.max(2, Math.round(points.length / 50));
  return points.map(([x], i) => {
    const window = points.slice(Math.max(0, i - half), i + half + 1);
    return [x, window.reduce((s, p) => s + p[1], 0) / window.length] as const;
  });
}

function label(x: number): string {
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e4 || a < 1e-3 ? x.toExponential(1) : Number(x.toPrecision(4)).toString();
}

/** An <svg> element (or a short note when no series has a finite point). */
export function lineChart(spec: ChartSpec): string {
  const keep = (y: number) => Number.isFinite(y) && (!spec.logY || y > 0);
  const series = spec.series.map((s) => ({ name: s.name, points: s.points.filter(([x, y]) => Number.isFinite(x) && keep(y)) }));
  const all = series.flatMap((s) => s.points);
  const head = `<figure class="chart"><figcaption>${escapeHtml(spec.title)}</figcaption>`;
  if (all.length === 0) return `${head}<p class="note">No data to plot.</p></figure>`;
  const ty = (y: number) => (spec.logY ? Math.log10(y) : y);
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => ty(p[1]))), Math.max(...all.map((p) => ty(p[1])))];
  // A flat or one-point range still gets a visible span.
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - (Math.abs(y0) || 1) * 0.1, y1 + (Math.abs(y1) || 1) * 0.1];
  // A little room above and below, so a flat line at the extreme is not hidden in the frame.
  else [y0, y1] = [y0 - (y1 - y0) * 0.05, y1 + (y1 - y0) * 0.05];
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => MARGIN.top + (1 - (ty(y) - y0) / (y1 - y0)) * plotH;
  const f = (v: number) => v.toFixed(1);
  const parts: string[] = [];
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  // One x value (a single evaluation): one tick at it, not a span of invented neighbours.
  const xTicks = all.every((p) => p[0] === all[0]![0]) ? [all[0]![0]] : niceTicks(x0, x1);
  for (const t of xTicks) {
    parts.push(`<line x1="${f(sx(t))}" x2="${f(sx(t))}" y1="${MARGIN.top + plotH}" y2="${MARGIN.top + plotH + 4}" stroke="#999"/>`);
    parts.push(`<text x="${f(sx(t))}" y="${MARGIN.top + plotH + 16}" text-anchor="middle">${label(t)}</text>`);
  }
  // Enough y ticks to read a value off the range the data occupies (a 3-to-11 loss gets 4, 5, …, 11).
  for (const t of niceTicks(y0, y1, 8)) {
    const y = MARGIN.top + (1 - (t - y0) / (y1 - y0)) * plotH;
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${f(y)}" y2="${f(y)}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${f(y + 4)}" text-anchor="end">${label(spec.logY ? 10 ** t : t)}</text>`);
  }
  parts.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeHtml(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(spec.yLabel)}${spec.logY ? ' (log)' : ''}</text>`);
  const line = (points: ReadonlyArray<readonly [number, number]>, attrs: string) =>
    `<polyline ${attrs} fill="none" points="${points.map(([x, y]) => `${f(sx(x))},${f(sy(y))}`).join(' ')}"/>`;
  // The headline series (index 0) last, so that nothing is drawn over it.
  const order = [...series.keys()].slice(1).concat(series.length > 0 ? [0] : []);
  for (const i of order) {
    const s = series[i]!;
    const colour = COLOURS[i % COLOURS.length];
    const dash = i === 0 && series.length > 1 ? ' stroke-dasharray="6 3"' : '';
    if (s.points.length === 1) parts.push(`<circle class="series" cx="${f(sx(s.points[0]![0]))}" cy="${f(sy(s.points[0]![1]))}" r="3.5" fill="${colour}"/>`);
    else if (s.points.length > 1 && spec.smooth === true && s.points.length >= 20) {
      parts.push(line(s.points, `class="raw" stroke="${colour}" stroke-width="1" stroke-opacity="0.3"`));
      parts.push(line(smoothed(s.points), `class="series" stroke="${colour}" stroke-width="2"${dash}`));
    } else if (s.points.length > 1) parts.push(line(s.points, `class="series" stroke="${colour}" stroke-width="1.75"${dash}`));
  }
  const legend = series
    .map((s, i) => `<span class="key"><span class="swatch${i === 0 && series.length > 1 ? ' dashed' : ''}" style="${i === 0 && series.length > 1 ? `height:0;border-top:.3em dashed ${COLOURS[0]}` : `background:${COLOURS[i % COLOURS.length]}`}"></span>${escapeHtml(s.name)}${s.points.length === 0 ? ' (no data)' : ''}</span>`)
    .join('');
  const note = spec.smooth === true && series.some((s) => s.points.length >= 20) ? '<p class="note">Faint: each step\'s value; solid: its moving average.</p>' : '';
  return `${head}<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" font-size="12" font-family="system-ui,sans-serif">${parts.join('')}</svg><div class="legend">${legend}</div>${note}</figure>`;
}
