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
  /** The final model's held-out group losses under each grouping of the comparison, by grouping label. */
  groupings?: Record<string, Record<string, { loss: number; tokens: number }>>;
  /** With --generate: the final model's answers to the questions, scored (shares in [0, 1]). */
  answers?: { contains?: number; facts?: number; exact?: number };
}

/** The answer columns (--generate), in this order, after the loss columns. */
export const ANSWER_COLUMNS = ['answers/contains', 'answers/facts', 'answers/exact'] as const;

export const isAnswerColumn = (c: string): boolean => c.startsWith('answers/');

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
  /**
   * `ce` (held-out token-mean cross-entropy, comparable across objectives), then per grouping
   * `GROUPING/GROUP` for each of its groups and `GROUPING/worst` (the per-run worst group, averaged
   * over seeds). Without groupings (older callers): each objective's own group names.
   */
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

/** `GROUPING/GROUP` columns in first-seen order, each grouping's `worst` after its groups. */
function groupingColumns(runs: readonly CompareRun[]): string[] {
  const order: string[] = [];
  const groups = new Map<string, string[]>();
  for (const r of runs) {
    for (const [label, gs] of Object.entries(r.eval.groupings ?? {})) {
      if (!groups.has(label)) {
        order.push(label);
        groups.set(label, []);
      }
      const names = groups.get(label)!;
      for (const g of Object.keys(gs)) if (!names.includes(g)) names.push(g);
    }
  }
  return order.flatMap((label) => {
    const names = groups.get(label)!;
    return [...names.filter((g) => g !== 'rest'), ...names.filter((g) => g === 'rest'), 'worst'].map((g) => `${label}/${g}`);
  });
}

/** A run's value in a `GROUPING/GROUP` column; undefined when that group had no held-out tokens. */
function groupingValue(r: CompareRun, column: string): number | undefined {
  const cut = column.lastIndexOf('/');
  const gs = r.eval.groupings?.[column.slice(0, cut)];
  if (gs === undefined) return undefined;
  const g = column.slice(cut + 1);
  if (g === 'worst') {
    let worst: number | undefined;
    for (const v of Object.values(gs)) if (v.tokens > 0 && (worst === undefined || v.loss > worst)) worst = v.loss;
    return worst;
  }
  return (gs[g]?.tokens ?? 0) > 0 ? gs[g]!.loss : undefined;
}

/** One run's value in a column (`ce`, an own group, `G/GROUP`, `G/worst`, `answers/…`); undefined where it has none. */
export function runValue(r: CompareRun, column: string): number | undefined {
  if (column === 'ce') return r.eval.ce;
  if (isAnswerColumn(column)) return r.eval.answers?.[column.slice('answers/'.length) as keyof NonNullable<RunEval['answers']>];
  if (column.includes('/')) return groupingValue(r, column);
  return (r.eval.groups[column]?.tokens ?? 0) > 0 ? r.eval.groups[column]!.loss : undefined;
}

export function aggregate(runs: readonly CompareRun[]): CompareTable {
  // Evaluated under every grouping of the compared files, or (older runs) under each objective's own groups.
  const byGrouping = runs.some((r) => r.eval.groupings !== undefined);
  const answered = runs.some((r) => r.eval.answers !== undefined);
  const columns = ['ce', ...(byGrouping ? groupingColumns(runs) : groupColumns(runs)), ...(answered ? ANSWER_COLUMNS : [])];
  const cell = byGrouping ? groupingCell : ownGroupCell;
  const objectives: string[] = [];
  for (const r of runs) if (!objectives.includes(r.objective)) objectives.push(r.objective);
  const rows = objectives.map((objective) => {
    const mine = runs.filter((r) => r.objective === objective);
    const cells: Record<string, MeanStd | null> = { ce: meanStd(mine.map((r) => r.eval.ce)) };
    for (const c of columns.slice(1)) cells[c] = isAnswerColumn(c) ? answerCell(mine, c) : cell(mine, c);
    return { objective, file: mine[0]!.file, cells };
  });
  return { columns, rows };
}

/** A group of the objective's own grouping: null when the objective has no such group. */
function ownGroupCell(mine: readonly CompareRun[], g: string): MeanStd | null {
  if (!mine.some((r) => r.eval.groups[g] !== undefined)) return null;
  // A run whose held-out data put no token in the group has no loss for it (0 would be a lie).
  return meanStd(mine.filter((r) => (r.eval.groups[g]?.tokens ?? 0) > 0).map((r) => r.eval.groups[g]!.loss));
}

/** A `grouping/group` or `grouping/worst` column, over the runs that have a value for it. */
function groupingCell(mine: readonly CompareRun[], c: string): MeanStd {
  return meanStd(mine.map((r) => groupingValue(r, c)).filter((v): v is number => v !== undefined));
}

/** An `answers/…` column over the runs that scored it. */
function answerCell(mine: readonly CompareRun[], c: string): MeanStd {
  const key = c.slice('answers/'.length) as keyof NonNullable<RunEval['answers']>;
  return meanStd(mine.map((r) => r.eval.answers?.[key]).filter((v): v is number => v !== undefined));
}

/** A cell as its column reads: answer shares as percentages, losses with four decimals. */
export function formatColumnCell(column: string, cell: MeanStd | null): string {
  if (!isAnswerColumn(column) || cell === null || cell.n === 0) return formatCell(cell);
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return Number.isNaN(cell.std) ? `${pct(cell.mean)} (1 seed)` : `${pct(cell.mean)} ± ${pct(cell.std)}`;
}

export function formatCell(cell: MeanStd | null, digits = 4): string {
  if (cell === null) return '—';
  if (cell.n === 0) return 'no tokens';
  return Number.isNaN(cell.std) ? `${cell.mean.toFixed(digits)} (1 seed)` : `${cell.mean.toFixed(digits)} ± ${cell.std.toFixed(digits)}`;
}

/** A Markdown table (also what the command prints): one row per objective. */
export function markdownTable(table: CompareTable): string {
  const header = ['objective', ...table.columns.map((c) => (c === 'ce' ? 'held-out ce' : c.includes('/') ? c : `group ${c}`))];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const row of table.rows) lines.push(`| ${[row.objective, ...table.columns.map((c) => formatColumnCell(c, row.cells[c] ?? null))].join(' | ')} |`);
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
