// The report's on-policy section: the mean reward per step with its spread (mean ± the population
// std of the step's batch·n rewards, from metrics.jsonl), and a few rollouts of the first and of
// the last step side by side (rollouts.jsonl): each prompt with its sampled responses, reward and
// advantage. A run without rewards in its metrics gives no section; an unreadable or oversized
// rollouts.jsonl gives a note naming the file, never a failure of the whole report.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml } from '../groupers/view/html.js';
import type { RolloutRecord } from '../language/on-policy.js';
import type { StepMetrics } from '../train/metrics.js';
import { lineChart } from './svg-chart.js';

export interface RolloutsSection {
  css: string;
  /** undefined when the run is not on-policy (no reward in metrics.jsonl). */
  html?: string;
}

/** Prompts shown per step, and the largest rollouts.jsonl read (the report must stay quick). */
const SHOWN = 3;
const MAX_ROLLOUT_BYTES = 256 * 2 ** 20;

export function rolloutsSection(runDir: string, metrics: readonly StepMetrics[]): RolloutsSection {
  const css = '.rollouts{display:flex;gap:1.5em}.rollouts>div{flex:1;min-width:0}.rollout{margin:.6em 0;font-size:.85em}'
    + '.rollout .prompt{white-space:pre-wrap;background:#f4f4f4;padding:.3em}.rollout td{vertical-align:top;padding:.15em .4em;border-bottom:1px solid #eee}'
    + '.rollout .num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}.rollout .text{white-space:pre-wrap;word-break:break-word}';
  const rewarded = metrics.filter((m) => typeof m.reward_mean === 'number' && typeof m.reward_std === 'number');
  if (rewarded.length === 0) return { css };
  const chart = lineChart({
    title: 'Reward per step: mean, and mean ± std over the step\'s responses',
    xLabel: 'step',
    yLabel: 'reward',
    smooth: true,
    series: [
      { name: 'mean reward', points: rewarded.map((m) => [m.step, m.reward_mean!] as const) },
      { name: 'mean + std', points: rewarded.map((m) => [m.step, m.reward_mean! + m.reward_std!] as const) },
      { name: 'mean − std', points: rewarded.map((m) => [m.step, m.reward_mean! - m.reward_std!] as const) },
    ],
  });
  const window = Math.max(1, Math.min(10, Math.floor(rewarded.length / 4)));
  const meanOf = (ms: readonly StepMetrics[]) => ms.reduce((a, m) => a + m.reward_mean!, 0) / ms.length;
  const first = rewarded.slice(0, window);
  const last = rewarded.slice(-window);
  const summary = `<p>Mean reward over the first ${window} step${window === 1 ? '' : 's'}: <b>${meanOf(first).toFixed(3)}</b>; over the last ${window}: <b>${meanOf(last).toFixed(3)}</b>.</p>`;
  return { css, html: [chart, summary, rolloutsTable(runDir)].join('\n') };
}

function rolloutsTable(runDir: string): string {
  const file = join(runDir, 'rollouts.jsonl');
  if (!existsSync(file)) return `<p class="note">${escapeHtml(`${file}: not found`)}</p>`;
  const size = statSync(file).size;
  if (size > MAX_ROLLOUT_BYTES) return `<p class="note">${escapeHtml(`${file}: ${size} bytes, more than the ${MAX_ROLLOUT_BYTES} the report reads`)}</p>`;
  const records: RolloutRecord[] = [];
  const bad: number[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const r = JSON.parse(line) as RolloutRecord;
      if (typeof r.step === 'number' && Array.isArray(r.responses)) records.push(r);
      else bad.push(i + 1);
    } catch {
      bad.push(i + 1);
    }
  });
  if (records.length === 0) return `<p class="note">${escapeHtml(`${file}: no rollouts`)}</p>`;
  const firstStep = Math.min(...records.map((r) => r.step));
  const lastStep = Math.max(...records.map((r) => r.step));
  const column = (step: number) => {
    const shown = records.filter((r) => r.step === step).slice(0, SHOWN);
    return `<div><h3>Step ${step}</h3>${shown.map(rolloutHtml).join('\n')}</div>`;
  };
  const note = bad.length > 0 ? `<p class="note">${escapeHtml(`${file}: ${bad.length} unreadable line(s), first ${bad[0]}`)}</p>` : '';
  return `<div class="rollouts">${column(firstStep)}${lastStep !== firstStep ? column(lastStep) : ''}</div>${note}`
    + `<p class="note">The first ${SHOWN} prompts of each step; every rollout is in rollouts.jsonl.</p>`;
}

function rolloutHtml(r: RolloutRecord): string {
  const rows = r.responses.map((x) => `<tr><td class="text">${escapeHtml(x.completion)}${x.finish === 'length' ? ' …' : ''}</td><td class="num">${x.reward.toFixed(2)}</td><td class="num">${x.advantage >= 0 ? '+' : ''}${x.advantage.toFixed(2)}</td></tr>`);
  return `<div class="rollout"><div class="prompt">${escapeHtml(r.prompt)}</div><table><thead><tr><th>response</th><th>reward</th><th>advantage</th></tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}
