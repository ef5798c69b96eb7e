// The arithmetic of `sftgoc compare`: per objective, the mean and the sample standard deviation
// (n−1 in the denominator, as seed-to-seed spread is usually reported) of each held-out quantity
// over its seeds. Kept apart from the orchestration so it can be tested with known numbers.

export interface MeanStd {
  mean: number;
  /** Sample standard deviation; NaN with fewer than two values (one seed says nothing of spread). */
  std: number;
  /** How many seeds had a value (a group with no held-out tokens in a run has none). */
  n: number;
}

/** The held-out numbers of one finished run (the trainer's last eval.jsonl record). */
export interface RunEval {
  ce: number;
  loss: number;
  groups: Record<string, { loss: number; tokens: number }>;
}

export interface CompareRun {
  /** The objective's label in the table (its name, made unique across the files compared). */
  objective: string;
  file: string;
  seed: number;
  runDir: string;
  eval: RunEval;
}

export interface CompareRow {
  objective: string;
  file: string;
  /** By column; null where the objective has no such group. */
  cells: Record<string, MeanStd | null>;
}

export interface CompareTable {
  /** `ce` (held-out token-mean cross-entropy, comparable across objectives), then each group name. */
  columns: string[];
  rows: CompareRow[];
}

export function meanStd(values: readonly number[]): MeanStd {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: Number.NaN, n };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
  return { mean, std: Math.sqrt(variance), n };
}

/** Groups in first-seen order over all runs; `rest` last, as every objective has one. */
function groupColumns(runs: readonly CompareRun[]): string[] {
  const names: string[] = [];
  for (const r of runs) for (const g of Object.keys(r.eval.groups)) if (!names.includes(g)) names.push(g);
  return [...names.filter((g) => g !== 'rest'), ...names.filter((g) => g === 'rest')];
}

export function aggregate(runs: readonly CompareRun[]): CompareTable {
  const columns = ['ce', ...groupColumns(runs)];
  const objectives: string[] = [];
  for (const r of runs) if (!objectives.includes(r.objective)) objectives.push(r.objective);
  const rows = objectives.map((objective) => {
    const mine = runs.filter((r) => r.objective === objective);
    const cells: Record<string, MeanStd | null> = { ce: meanStd(mine.map((r) => r.eval.ce)) };
    for (const g of columns.slice(1)) {
      if (!mine.some((r) => r.eval.groups[g] !== undefined)) {
        cells[g] = null;
        continue;
      }
      // A run whose held-out data put no token in the group has no loss for it (0 would be a lie).
      cells[g] = meanStd(mine.filter((r) => (r.eval.groups[g]?.tokens ?? 0) > 0).map((r) => r.eval.groups[g]!.loss));
    }
    return { objective, file: mine[0]!.file, cells };
  });
  return { columns, rows };
}

export function formatCell(cell: MeanStd | null, digits = 4): string {
  if (cell === null) return '—';
  if (cell.n === 0) return 'no tokens';
  return Number.isNaN(cell.std) ? `${cell.mean.toFixed(digits)} (1 seed)` : `${cell.mean.toFixed(digits)} ± ${cell.std.toFixed(digits)}`;
}

/** A Markdown table (also what the command prints): one row per objective. */
export function markdownTable(table: CompareTable): string {
  const header = ['objective', ...table.columns.map((c) => (c === 'ce' ? 'held-out ce' : `group ${c}`))];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of table.rows) lines.push(`| ${[row.objective, ...table.columns.map((c) => formatCell(row.cells[c] ?? null))].join(' | ')} |`);
  return lines.join('\n');
}

/** `--seeds 1,2,3`: distinct non-negative integers, in the order given. */
export function parseSeeds(text: string): { seeds: number[] } | { error: string } {
  const parts = text.split(',').map((p) => p.trim());
  const seeds: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p) || !Number.isSafeInteger(Number(p))) return { error: `--seeds ${text}: '${p}' is not a non-negative integer (e.g. --seeds 1,2,3)` };
    if (seeds.includes(Number(p))) return { error: `--seeds ${text}: seed ${p} appears twice` };
    seeds.push(Number(p));
  }
  return { seeds };
}
