// The run directory's objective.sftgo: the source as run. The main file comes first, verbatim; each
// imported file follows as a comment block, so the record is complete (std/ files change between
// versions) while the file itself still compiles to the same objective. Inlining imports as live
// code could define a name twice in one file, which the language forbids. The command line's
// `--set` overrides (compile's `overrides`, whose checked text `sources` holds under each flag's
// label) are recorded together in one comment block so the record says what the run really used.
import { overrideLabel, type Override } from '../language/overrides.js';

export function objectiveRecord(mainFile: string, sources: Readonly<Record<string, string>>, overrides: readonly Override[] = []): string {
  const main = sources[mainFile] ?? '';
  const parts = [main.endsWith('\n') ? main : `${main}\n`];
  const setLabels = new Set(overrides.filter((o) => o.kind === 'set').map(overrideLabel));
  const sets = Object.entries(sources).filter(([file]) => setLabels.has(file));
  if (sets.length > 0) parts.push(`\n# ---- command-line overrides (--set) ----\n${sets.map(([, text]) => `# | ${text.trim()}`).join('\n')}\n`);
  for (const [file, text] of Object.entries(sources)) {
    if (file === mainFile || setLabels.has(file)) continue;
    const body = text.replace(/\n$/, '').split('\n').map((l) => `# | ${l}`).join('\n');
    parts.push(`\n# ---- imported ${file} (as read for this run) ----\n${body}\n`);
  }
  return parts.join('');
}
