// `sftgoc groups --format html`: a self-contained heat-map page (inline CSS, no scripts, no network
// resources). Each token is a span whose background shows its score on the heat key (the first
// scorer's), scaled per sample from its lowest to its highest loss-token score; its group is a
// coloured underline (rest: none); prompt tokens are grey. Hovering a token shows all its values.
import type { GroupsView } from './view-model.js';

const GROUP_COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf'];

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** White (0) to orange-red (1). */
function heat(v: number): string {
  const x = Math.min(1, Math.max(0, v));
  const r = 255;
  const g = Math.round(255 - 150 * x);
  const b = Math.round(255 - 230 * x);
  return `rgb(${r},${g},${b})`;
}

function num(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(4) : String(x);
}

/** The page's own body rule; a page that embeds the view (report.html) has its own. */
const BODY_CSS = 'body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}';

/** The pieces of the heat-map that another page can embed: its CSS (without a body rule), legend and samples. */
export interface HtmlParts {
  css: string;
  legend: string;
  samples: string[];
}

export function htmlParts(view: GroupsView): HtmlParts {
  const rest = view.groupNames.length - 1;
  const css = [
    '.sample{margin:1.5em 0;padding:1em;border:1px solid #ddd;border-radius:6px}',
    '.meta{font-size:.85em;color:#666;margin-bottom:.5em}',
    '.text{font-family:ui-monospace,monospace;white-space:pre-wrap;line-height:1.9}',
    '.prompt{color:#999}',
    '.legend span.key{display:inline-block;margin-right:1.5em}',
    '.bar{display:inline-block;width:12em;height:1em;vertical-align:middle;background:linear-gradient(to right,rgb(255,255,255),rgb(255,105,25));border:1px solid #ccc}',
    ...view.groupNames.map((_, i) => (i === rest ? `.g${i}{}` : `.g${i}{border-bottom:3px solid ${GROUP_COLOURS[i % GROUP_COLOURS.length]}}`)),
  ].join('\n');
  const legendGroups = view.groupNames
    .map((g, i) => `<span class="key"><span class="g${i}">${escapeHtml(g)}</span>${i === rest ? ' (no underline)' : ''}</span>`)
    .join('');
  const heatLegend = view.heatKey !== undefined
    ? `<p>Background: <code>${escapeHtml(view.labels[view.heatKey] ?? view.heatKey)}</code>, per sample from its lowest <span class="bar"></span> to its highest score.</p>`
    : '<p>No scorer to colour by: background is plain.</p>';
  const samples = view.samples.map((s) => {
    const heatValues = view.heatKey === undefined ? [] : s.tokens.filter((t) => t.loss).map((t) => t.scores[view.heatKey!]!);
    const lo = Math.min(...heatValues);
    const hi = Math.max(...heatValues);
    const spans = s.tokens.map((t) => {
      if (!t.loss) return `<span class="prompt">${escapeHtml(t.text)}</span>`;
      const g = t.group === null ? rest : view.groupNames.indexOf(t.group);
      const v = view.heatKey === undefined ? 0 : hi > lo ? (t.scores[view.heatKey]! - lo) / (hi - lo) : 0.5;
      const title = [`group ${t.group}`, ...Object.entries(t.scores).map(([k, x]) => `${view.labels[k] ?? k} = ${num(x)}`), ...(t.ce !== undefined ? [`ce = ${num(t.ce)}`] : [])].join('\n');
      return `<span class="g${g}" style="background:${heat(v)}" title="${escapeHtml(title)}">${escapeHtml(t.text)}</span>`;
    });
    const counts = view.groupNames.map((g) => `${escapeHtml(g)} ${s.tokens.filter((t) => t.group === g).length}`).join(', ');
    return `<div class="sample"><div class="meta">sample ${s.index} (${escapeHtml(s.file)}:${s.line}): ${counts}</div><div class="text">${spans.join('')}</div></div>`;
  });
  const legend = `<div class="legend"><p>Groups: ${legendGroups}</p>${heatLegend}<p>Grey: prompt tokens (no loss). Hover a token for its scores.</p></div>`;
  return { css, legend, samples };
}

export function renderHtml(view: GroupsView): string {
  const { css, legend, samples } = htmlParts(view);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(view.objective)}: token groups</title>`,
    `<style>\n${BODY_CSS}\n${css}\n</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(view.objective)}: token groups</h1>`,
    legend,
    ...samples,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
