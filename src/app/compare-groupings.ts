// The groupings a comparison is read under. SFT-GO's claim (Prop. 1 of the paper) is about the
// worst group of ONE grouping, so every compared model is evaluated under every grouping that any
// compared file defines (SFT gets SFT-GO's important/rest columns), plus the data's own fact
// column when the held-out records carry `scores.fact` (an oracle grouping: facts vs the rest).
// Each evaluation is `sftgoc eval RUN_DIR --objective G` (src/app/eval-run.ts): the run's final
// model and eval data, corpus statistics (tfidf's idf) from the run's training data, as the run
// itself computed them.
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { BufferOutput } from '../cli/output.js';
import type { SetOverride } from '../cli/overrides.js';
import type { Objective } from '../ir/nodes.js';

export interface Grouping {
  /** Column prefix: the defining objective's label, or `fact`. */
  label: string;
  /** The .sftgo file whose partition defines it. */
  file: string;
  /** Its groups, `rest` last. */
  groups: string[];
}

export type GroupLosses = Record<string, { loss: number; tokens: number }>;

/** The column oracle: tokens inside a `scores.fact` span against the rest. */
export const FACT_GROUPING_SOURCE = [
  '# Written by sftgoc compare: the data\'s own fact spans as a grouping (scores.fact of the records).',
  'objective fact',
  'group fact = column("fact") > 0',
  'loss = max(groups)',
  '',
].join('\n');

/** Whether any of the first records of a JSON Lines file carries scores.fact (bounded read). */
export function dataHasFactColumn(file: string, maxRecords = 200): boolean {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  for (const line of text.split('\n', maxRecords)) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as { scores?: Record<string, unknown> };
      if (r.scores !== undefined && r.scores !== null && Array.isArray(r.scores['fact'])) return true;
    } catch {
      // a bad record is the data loader's to report
    }
  }
  return false;
}

/** The compared files that declare groups, then `fact` when the eval data has the column. */
export async function groupingsOf(compared: ReadonlyArray<{ label: string; file: string; ir: Objective }>, evalFile: string | undefined, outDir: string): Promise<Grouping[]> {
  const out: Grouping[] = compared
    .filter((c) => c.ir.partition.groups.length > 0)
    .map((c) => ({ label: c.label, file: c.file, groups: [...c.ir.partition.groups.map((g) => g.name), 'rest'] }));
  // A compared file whose only group is made from column("fact") already is the fact grouping.
  const factAlready = compared.some((c) => c.ir.partition.groups.length === 1 && c.ir.partition.scorers.length === 1 && c.ir.partition.scorers[0]!.name === 'column' && c.ir.partition.scorers[0]!.args.field === 'fact');
  if (evalFile !== undefined && dataHasFactColumn(evalFile) && !factAlready && !out.some((g) => g.label === 'fact')) {
    const dir = join(outDir, 'groupings');
    await mkdir(dir, { recursive: true });
    const file = join(dir, 'fact.sftgo');
    await writeFileAtomic(file, FACT_GROUPING_SOURCE);
    out.push({ label: 'fact', file, groups: ['fact', 'rest'] });
  }
  return out;
}

/** The held-out group losses of a finished run's final model under `grouping`; a string says why not. */
export async function evaluateUnder(runDir: string, grouping: Grouping, options: { backend?: string; settings: readonly SetOverride[] }): Promise<GroupLosses | string> {
  const { runEval } = await import('./eval-run.js');
  const buffer = new BufferOutput();
  // Only reference.path of the --set overrides concerns an evaluation; the others were the runs'.
  const settings = options.settings.filter((s) => s.block === 'reference');
  const code = await runEval({ runDir, objective: grouping.file, settings, backend: options.backend ?? 'auto', skipBadRecords: false, json: true, quiet: true }, buffer);
  if (code !== 0) return `evaluating ${runDir} under ${grouping.label} (${grouping.file}) exited ${code}: ${buffer.stderrText.trim()}`;
  const doc = JSON.parse(buffer.stdoutText) as { groups: GroupLosses };
  return doc.groups;
}

/** The worst (highest-loss) group of one evaluation among those with held-out tokens. */
export function worstOf(groups: GroupLosses): number | undefined {
  let worst: number | undefined;
  for (const g of Object.values(groups)) if (g.tokens > 0 && (worst === undefined || g.loss > worst)) worst = g.loss;
  return worst;
}
