// The token heat-map section of report.html: the groups view (src/app/groups.ts, the same view
// `sftgoc groups --format html` prints) of the run's recorded objective and training data, embedded
// through the view's HTML parts, so the report shows exactly what that command shows. With the run's final/ model the view adds each token's ce and can evaluate
// groups chosen by the model; without one, static groupings need no model and others get a note.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { numericValue } from '../cli/compiler-bridge.js';
import { BufferOutput } from '../cli/output.js';
import type { ParamOverride } from '../cli/overrides.js';
import { groupsView } from './groups.js';
import { htmlParts } from '../groupers/view/html.js';
import type { HeatmapSection } from '../report/page.js';

export type { HeatmapSection } from '../report/page.js';

/**
 * The run's constant param values (config.json's `params`, --param overrides included), so that a
 * group like tfidf(top η) is drawn with the η the run trained with. Schedules are left to the file:
 * the groups view takes numbers only, and a schedule's value changes over the run anyway.
 */
function recordedParams(config: Record<string, unknown>): ParamOverride[] {
  const params = config.params;
  if (typeof params !== 'object' || params === null) return [];
  return Object.entries(params as Record<string, unknown>)
    .filter((e): e is [string, string] => typeof e[1] === 'string' && numericValue(e[1]) !== undefined)
    .map(([name, text]) => ({ name, text, flag: `${name}=${text}` }));
}

function dataFileOf(config: Record<string, unknown>): string | undefined {
  const data = config.data as { train?: unknown } | undefined;
  return typeof data?.train === 'string' ? data.train : undefined;
}

export async function heatmapSection(runDir: string, config: Record<string, unknown>, limit: number): Promise<HeatmapSection> {
  const objective = join(runDir, 'objective.sftgo');
  if (!existsSync(objective)) return { css: '', note: `${objective} not found: no token heat-map` };
  const data = dataFileOf(config);
  if (data === undefined || !existsSync(data)) return { css: '', note: `the run's training data (${data ?? 'data.train in config.json'}) is not readable: no token heat-map` };
  const finalDir = join(runDir, 'final');
  const model = existsSync(join(finalDir, 'config.json')) ? finalDir : undefined;
  const out = new BufferOutput();
  const view = await groupsView(objective, { params: recordedParams(config), settings: [], data, limit, model, runModelFallback: false, skipBadRecords: true, quiet: true }, out);
  if (typeof view === 'number') {
    const why = out.stderrText.trim().split('\n').map((l) => l.replace(/^error: /, '')).join('; ');
    return { css: '', note: `no token heat-map: ${why || `the groups view failed (exit ${view})`}` };
  }
  const parts = htmlParts(view);
  const html = [parts.legend, ...parts.samples].join('\n');
  const note = model === undefined ? 'Scores from the run\'s objective and training data; no final/ model yet, so no per-token ce.' : `Per-token ce from ${finalDir}.`;
  return { css: parts.css, html, note };
}
