// The report's "Answers" section: when `eval --generate` (or `compare --generate`) has written
// generation.json and generations.jsonl into the run directory, the scores and a few questions with
// the model's answer beside the expected one, so a person sees what the numbers mean. Absent files
// give no section; damaged ones a note naming the file, never a failure of the whole report.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeHtml } from '../groupers/view/html.js';

export interface AnswersSection {
  css: string;
  /** undefined when the run has no generation.json. */
  html?: string;
  note?: string;
}

/** Questions shown at most; the rest are in generations.jsonl. */
const SHOWN = 8;

const pct = (x: unknown) => (typeof x === 'number' ? `${(100 * x).toFixed(1)}%` : '–');

export function answersSection(runDir: string): AnswersSection {
  const css = '.answers td{vertical-align:top;padding:.3em .6em;border-bottom:1px solid #ddd;font-size:.9em}.answers th{text-align:left;padding:.3em .6em}.answers .num{text-align:right;white-space:nowrap}';
  const summaryFile = join(runDir, 'generation.json');
  if (!existsSync(summaryFile)) return { css };
  let summary: Record<string, unknown>;
  try {
    summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    return { css, note: `${summaryFile}: cannot read (${(e as Error).message})` };
  }
  const rows: Array<Record<string, unknown>> = [];
  const listFile = join(runDir, 'generations.jsonl');
  let note: string | undefined;
  try {
    const lines = readFileSync(listFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
    for (const line of lines.slice(0, SHOWN)) rows.push(JSON.parse(line) as Record<string, unknown>);
  } catch (e) {
    note = `${listFile}: cannot read (${(e as Error).message})`;
  }
  const expected = (r: Record<string, unknown>) => {
    const parts: string[] = [];
    if (typeof r.answer === 'string') parts.push(r.answer);
    if (Array.isArray(r.facts_expected)) parts.push(`facts: ${r.facts_expected.join('; ')}`);
    return parts.join(' — ');
  };
  const table = rows.map((r) => `<tr><td>${escapeHtml(String(r.prompt ?? ''))}</td><td>${escapeHtml(String(r.completion ?? ''))}</td><td>${escapeHtml(expected(r))}</td>`
    + `<td class="num">${r.contains === undefined ? '–' : r.contains === 1 ? 'yes' : 'no'}</td><td class="num">${pct(r.facts)}</td></tr>`).join('\n');
  const html = [
    `<p>${escapeHtml(`${String(summary.n ?? '?')} questions of ${String(summary.questions ?? '?')}, answered by ${String(summary.model ?? '?')} (${String(summary.engine ?? '?')} engine, greedy unless the decoding says otherwise)`)}: `
      + `<b>contains ${pct(summary.contains)}</b>, <b>facts ${pct(summary.facts)}</b>, exact ${pct(summary.exact)}.</p>`,
    rows.length > 0
      ? `<table class="answers"><thead><tr><th>question</th><th>the model's answer</th><th>expected</th><th>contains</th><th>facts</th></tr></thead><tbody>\n${table}\n</tbody></table>`
        + `<p class="note">The first ${rows.length} questions; every answer is in generations.jsonl.</p>`
      : '',
  ].join('\n');
  return { css, html, ...(note !== undefined ? { note } : {}) };
}
