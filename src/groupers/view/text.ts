// `sftgoc groups` on a terminal (and in plain text): per sample, its text with the loss tokens of
// each declared group marked (a colour per group on a terminal; ⟦token⟧ with the group's number in
// plain text; `rest` unmarked, prompt tokens dimmed on a terminal), then one line per loss token with
// its group, scores and ce.
import type { GroupsView } from './view-model.js';

const COLOURS = [31, 32, 34, 35, 36, 33];
const SUBSCRIPT = '₀₁₂₃₄₅₆₇₈₉';

function subscript(n: number): string {
  return String(n).split('').map((d) => SUBSCRIPT[Number(d)]).join('');
}

function visible(text: string): string {
  return text.replace(/\n/g, '⏎').replace(/\t/g, '⇥');
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1000 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(4);
}

export function renderText(view: GroupsView, options: { colour: boolean }): string[] {
  const rest = view.groupNames.length - 1;
  const paint = (text: string, group: number | null): string => {
    if (options.colour) {
      if (group === null) return `\x1b[2m${text}\x1b[0m`;
      if (group === rest) return text;
      return `\x1b[1;${COLOURS[group % COLOURS.length]}m${text}\x1b[0m`;
    }
    if (group === null || group === rest) return text;
    return `⟦${text}⟧${subscript(group + 1)}`;
  };
  const legend = view.groupNames
    .map((g, i) => (i === rest ? `${g} unmarked` : options.colour ? paint(g, i) : `⟦…⟧${subscript(i + 1)} ${g}`))
    .join(', ');
  const lines = [`${view.objective}: ${view.samples.length} samples; groups: ${legend}`];
  const columns = [...view.scoreKeys, ...(view.samples.some((s) => s.tokens.some((t) => t.ce !== undefined)) ? ['ce'] : [])];
  for (const s of view.samples) {
    const counts = view.groupNames.map((g) => s.tokens.filter((t) => t.group === g).length);
    lines.push('');
    lines.push(`sample ${s.index} (${s.file}:${s.line}): ${view.groupNames.map((g, i) => `${g} ${counts[i]}`).join(', ')}`);
    lines.push(
      `  ${s.tokens.map((t) => paint(visible(t.text), t.group === null ? null : view.groupNames.indexOf(t.group))).join('')}`,
    );
    const width = Math.max(5, ...s.tokens.filter((t) => t.loss).map((t) => JSON.stringify(t.text).length));
    const groupWidth = Math.max(5, ...view.groupNames.map((g) => g.length));
    const heads = columns.map((c) => (c === 'ce' ? 'ce' : view.labels[c] ?? c).padStart(10));
    lines.push(`  ${'pos'.padStart(4)}  ${'token'.padEnd(width)}  ${'group'.padEnd(groupWidth)}  ${heads.join('  ')}`);
    for (const t of s.tokens) {
      if (!t.loss) continue;
      const values = columns.map((c, j) => fmt(c === 'ce' ? (t.ce ?? NaN) : t.scores[c]!).padStart(heads[j]!.length));
      lines.push(`  ${String(t.position).padStart(4)}  ${JSON.stringify(t.text).padEnd(width)}  ${(t.group ?? '').padEnd(groupWidth)}  ${values.join('  ')}`);
    }
  }
  return lines;
}
