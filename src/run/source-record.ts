// The run directory's objective.sftgo: the source as run. The main file comes first, verbatim; each
// imported file follows as a comment block, so the record is complete (std/ files change between
// versions) while the file itself still compiles to the same objective. Inlining imports as live
// code could define a name twice in one file, which the language forbids.
export function objectiveRecord(mainFile: string, sources: Readonly<Record<string, string>>): string {
  const main = sources[mainFile] ?? '';
  const parts = [main.endsWith('\n') ? main : `${main}\n`];
  for (const [file, text] of Object.entries(sources)) {
    if (file === mainFile) continue;
    const body = text.replace(/\n$/, '').split('\n').map((l) => `# | ${l}`).join('\n');
    parts.push(`\n# ---- imported ${file} (as read for this run) ----\n${body}\n`);
  }
  return parts.join('');
}
