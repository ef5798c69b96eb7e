// Printing diagnostics for the commands: the human form of CLI.md (via diagnostics/render.ts, the
// one renderer), and the JSON form, which is the `Diagnostic` record itself.
import { readFileSync } from 'node:fs';
import type { Diagnostic } from './diagnostic.js';
import { renderDiagnostic, summarize, type SourceLookup } from './render.js';

/**
 * Source text by file name for quoting lines: the texts the command already read, then the disk
 * (a diagnostic may point into an imported file). A file that cannot be read is quoted without source.
 */
export function sourceLookup(known: ReadonlyMap<string, string>): SourceLookup {
  const cache = new Map<string, string | undefined>(known);
  return (file) => {
    if (!cache.has(file)) {
      let text: string | undefined;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        text = undefined;
      }
      cache.set(file, text);
    }
    return cache.get(file);
  };
}

/** The rendered diagnostics, blank-line separated; `quiet` keeps only errors. */
export function renderAll(diagnostics: readonly Diagnostic[], sources: SourceLookup, quiet: boolean): string {
  return diagnostics
    .filter((d) => !quiet || d.severity === 'error')
    .map((d) => `${renderDiagnostic(d, sources)}\n`)
    .join('\n');
}

export function countSeverities(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  return {
    errors: diagnostics.filter((d) => d.severity === 'error').length,
    warnings: diagnostics.filter((d) => d.severity === 'warning').length,
  };
}

export { summarize };

/** A compile's diagnostics as CLI.md prints them, the sources quoted from what the compiler read; '' when there are none to show. */
export function renderCompileDiagnostics(compiled: { diagnostics: readonly Diagnostic[]; sources: Readonly<Record<string, string>> }, quiet: boolean): string {
  return renderAll(compiled.diagnostics, sourceLookup(new Map(Object.entries(compiled.sources))), quiet);
}
