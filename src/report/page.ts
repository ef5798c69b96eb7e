// report.html: the charts of one run (train loss by group, held-out loss by group, params, lr) and
// the token heat-map section, in one self-contained page (inline CSS and SVG; no scripts, no URLs).
import { escapeHtml } from '../groupers/view/html.js';
import type { EvalMetrics, StepMetrics } from '../train/metrics.js';
import type { AnswersSection } from './answers.js';
import type { RunRecords } from './read-run.js';
import type { RolloutsSection } from './rollouts.js';
import { lineChart, type Series } from './svg-chart.js';

/** Names in first-seen order across records (a group or param may appear late, e.g. after a resume). */
function namesOf(records: ReadonlyArray<Record<string, unknown>>): string[] {
  const names: string[] = [];
  for (const r of records) for (const k of Object.keys(r)) if (!names.includes(k)) names.push(k);
  return names;
}

/** Overall loss and ce, then one series per group (points only where the group had tokens). */
export function lossSeries(records: ReadonlyArray<StepMetrics | EvalMetrics>): Series[] {
  const groups = namesOf(records.map((r) => r.groups));
  return [
    { name: 'loss (objective)', points: records.map((r) => [r.step, r.loss] as const) },
    { name: 'ce (all tokens)', points: records.map((r) => [r.step, r.ce] as const) },
    ...groups.map((g) => ({
      name: `group ${g}`,
      points: records.filter((r) => (r.groups[g]?.tokens ?? 0) > 0).map((r) => [r.step, r.groups[g]!.loss] as const),
    })),
  ];
}

export function paramSeries(metrics: readonly StepMetrics[]): Series[] {
  return namesOf(metrics.map((m) => m.params ?? {})).map((p) => ({
    name: p,
    points: metrics.filter((m) => typeof m.params?.[p] === 'number').map((m) => [m.step, m.params[p]!] as const),
  }));
}

/** One evaluation (eval_every = 0: only the final one): its values, labelled, instead of a one-point chart. */
export function heldOutValues(e: EvalMetrics): string {
  const rows = lossSeries([e]).filter((s) => s.points.length > 0).map((s) => `<tr><td>${escapeHtml(s.name)}</td><td class="num">${s.points[0]![1].toPrecision(4)}</td></tr>`);
  return `<figure class="chart"><figcaption>Held-out loss by group (eval.jsonl, one evaluation at step ${e.step})</figcaption><table class="values"><tr><th>series</th><th>loss at step ${e.step}</th></tr>${rows.join('')}</table></figure>`;
}

/** The token heat-map section (src/app/report-heatmap.ts builds it from the groups view). */
export interface HeatmapSection {
  /** The groups page's CSS, minus its body rule (the report has its own). */
  css: string;
  /** HTML to place in the report, or undefined with `note` saying why it is missing. */
  html?: string;
  note?: string;
}

export function renderReport(runDir: string, run: RunRecords, heatmap: HeatmapSection, answers?: AnswersSection, rollouts?: RolloutsSection): string {
  const objective = typeof run.config.objective === 'string' ? run.config.objective : runDir;
  const last = run.metrics.at(-1)!;
  const lastEval = run.evals.at(-1);
  const params = paramSeries(run.metrics);
  const charts = [
    lineChart({ title: 'Training loss by group (per step)', xLabel: 'step', yLabel: 'loss', series: lossSeries(run.metrics), smooth: true }),
    run.evals.length > 1
      ? lineChart({ title: 'Held-out loss by group (eval.jsonl)', xLabel: 'step', yLabel: 'loss', series: lossSeries(run.evals) })
      : run.evals.length === 1
        ? heldOutValues(run.evals[0]!)
        : '<figure class="chart"><figcaption>Held-out loss by group</figcaption><p class="note">No eval.jsonl: the run had no eval data or has not evaluated yet.</p></figure>',
    params.length > 0
      ? lineChart({ title: 'Params (λ and others) per step', xLabel: 'step', yLabel: 'value', series: params })
      : '<figure class="chart"><figcaption>Params</figcaption><p class="note">The objective has no scalar params.</p></figure>',
    lineChart({ title: 'Learning rate per step', xLabel: 'step', yLabel: 'lr', series: [{ name: 'lr', points: run.metrics.map((m) => [m.step, m.lr] as const) }] }),
  ];
  const summary = [
    `${run.metrics.length} steps recorded (last step ${last.step}, epoch ${last.epoch ?? '?'}), last training loss ${last.loss.toPrecision(4)}, ce ${last.ce.toPrecision(4)}`,
    lastEval !== undefined ? `last held-out ce ${lastEval.ce.toPrecision(4)} at step ${lastEval.step}` : 'no held-out evaluation',
  ];
  const css = [
    'body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}',
    '.chart{margin:1.5em 0}.chart figcaption{font-weight:600;margin-bottom:.3em}',
    '.legend .key{display:inline-block;margin-right:1.2em;font-size:.85em}',
    '.swatch{display:inline-block;width:1.5em;height:.3em;vertical-align:middle;margin-right:.3em}',
    '.note{color:#666;font-style:italic}',
    '.values{border-collapse:collapse}.values td,.values th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:left}.values .num{text-align:right;font-variant-numeric:tabular-nums}',
    heatmap.css,
    answers?.css ?? '',
    rollouts?.css ?? '',
  ].join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<title>${escapeHtml(objective)}: training report</title>`,
    `<style>\n${css}\n</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(objective)}: training report</h1>`,
    `<p>Run directory <code>${escapeHtml(runDir)}</code>. ${summary.map(escapeHtml).join('; ')}.</p>`,
    ...(rollouts?.html !== undefined ? ['<h2>On-policy: rewards and rollouts</h2>', rollouts.html] : []),
    '<h2>Curves</h2>',
    ...charts,
    ...(answers?.html !== undefined || answers?.note !== undefined
      ? ['<h2>Answers to the questions (eval --generate)</h2>', answers.note !== undefined ? `<p class="note">${escapeHtml(answers.note)}</p>` : '', answers.html ?? '']
      : []),
    '<h2>Token groups of a few training samples</h2>',
    heatmap.note !== undefined ? `<p class="note">${escapeHtml(heatmap.note)}</p>` : '',
    heatmap.html ?? '',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
