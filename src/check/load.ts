// Loads the main file and, depth first, everything it imports. The result lists files in the order
// their definitions take effect: an import before the file that imports it, so a later file wins.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { SourceFile } from '../parse/ast.js';
import type { CompileHost } from './host.js';
import { MAX_FILES } from './limits.js';

export type ParseFn = (source: string, file: string) => { ast: SourceFile; diagnostics: Diagnostic[] };

export interface LoadedFile {
  path: string;
  source: string;
  ast: SourceFile;
  /** Resolved paths of this file's imports, in the order written. */
  imports: string[];
}

export interface LoadResult {
  /** Dependency order: every file after the files it imports; the main file last. */
  files: LoadedFile[];
  /** Text of every file read, for rendering diagnostics. */
  sources: Record<string, string>;
  diagnostics: Diagnostic[];
}

export function loadProgram(mainPath: string, mainSource: string, host: CompileHost, parse: ParseFn): LoadResult {
  const files: LoadedFile[] = [];
  const sources: Record<string, string> = {};
  const diagnostics: Diagnostic[] = [];
  const done = new Map<string, LoadedFile>();
  const stack: string[] = [];

  const visit = (path: string, source: string): LoadedFile => {
    stack.push(path);
    sources[path] = source;
    const parsed = parse(source, path);
    diagnostics.push(...parsed.diagnostics);
    const file: LoadedFile = { path, source, ast: parsed.ast, imports: [] };
    for (const statement of parsed.ast.statements) {
      if (statement.kind !== 'Import') continue;
      const target = host.resolve(statement.path.value, path);
      const cycleStart = stack.indexOf(target);
      if (cycleStart >= 0) {
        const chain = [...stack.slice(cycleStart), target].join(' → ');
        diagnostics.push(error('E0206', `import cycle: ${chain}`, statement.path.span, 'remove one of these imports'));
        continue;
      }
      file.imports.push(target);
      if (done.has(target)) continue;
      if (done.size + stack.length >= MAX_FILES) {
        diagnostics.push(error('E0605', `too many files: this import would load more than ${MAX_FILES}`, statement.path.span));
        continue;
      }
      if (!target.endsWith('.sftgo')) {
        diagnostics.push(error('E0214', `cannot import "${statement.path.value}": only .sftgo files can be imported`, statement.path.span, 'name a file ending in .sftgo, e.g. import "./base.sftgo"'));
        continue;
      }
      const text = host.readFile(target);
      if (typeof text === 'object') {
        // The reason only (size, kind of file): never any of the file's content.
        diagnostics.push(error('E0214', `cannot import "${statement.path.value}" (${target}): ${text.problem}`, statement.path.span));
        continue;
      }
      if (text === undefined) {
        const hint = statement.path.value.startsWith('std/') ? 'the standard library has std/sft, std/sftgo, std/sftgo-llmlingua2, std/sftgo-rho1, std/rho1, std/dft, std/gft, std/groupdro' : undefined;
        diagnostics.push(error('E0205', `cannot read import "${statement.path.value}" (looked for ${target})`, statement.path.span, hint));
        continue;
      }
      visit(target, text);
    }
    stack.pop();
    done.set(path, file);
    files.push(file);
    return file;
  };

  visit(mainPath, mainSource);
  return { files, sources, diagnostics };
}
