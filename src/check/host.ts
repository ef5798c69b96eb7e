// File access for imports goes through a host, so tests and `compile(source)` need no disk and a
// program can serve sources from anywhere. Standard-library imports get the virtual path
// `std/NAME.sftgo`, which keeps diagnostics short; the default host maps it to the package's stdlib/.
// Imports resolve one way everywhere: `std/…` from the standard library, an absolute path as it is,
// anything else relative to the folder of the importing file.
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { readSourceFile } from './read-source.js';

export interface CompileHost {
  /** The file's text; undefined when there is no such file; `{ problem }` when it exists but may not be read. */
  readFile(path: string): string | undefined | { problem: string };
  /** The path of `spec` as written in `import "spec"` inside `fromFile`. */
  resolve(spec: string, fromFile: string): string;
}

/** `std/sftgo` and `std/sftgo.sftgo` both name stdlib/sftgo.sftgo; `/a/b.sftgo` is absolute; the rest is relative. */
export function resolveImport(spec: string, fromFile: string): string {
  if (spec.startsWith('std/')) return normalize(spec.endsWith('.sftgo') ? spec : `${spec}.sftgo`);
  if (isAbsolute(spec)) return normalize(spec);
  return normalize(join(dirname(fromFile), spec));
}

function readStd(path: string): string | undefined | { problem: string } {
  const name = path.slice('std/'.length);
  // `std/../../etc/x.sftgo` must not leave the standard library.
  if (name.includes('..')) return undefined;
  return readIfExists(join(packageRoot, 'stdlib', name));
}

/** Bounded, non-blocking read (src/check/read-source.ts): a missing file is undefined. */
function readIfExists(path: string): string | undefined | { problem: string } {
  // A link named x.sftgo that points at /etc/passwd would otherwise have its lines shown in diagnostics.
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    return undefined;
  }
  if (!real.endsWith('.sftgo')) return { problem: 'it links to a file that is not a .sftgo file' };
  const r = readSourceFile(real);
  if ('text' in r) return r.text;
  return r.problem === 'no such file' ? undefined : r;
}

/** Reads from disk; `std/` paths come from the package's stdlib/. */
export const nodeHost: CompileHost = {
  readFile: (path) => (path.startsWith('std/') ? readStd(path) : readIfExists(path)),
  resolve: resolveImport,
};

/** Serves the given sources by path (for tests and programs); `std/` still comes from the package. */
export function memoryHost(files: Record<string, string>): CompileHost {
  return {
    readFile: (path) => (Object.hasOwn(files, path) ? files[path] : path.startsWith('std/') ? readStd(path) : undefined),
    resolve: resolveImport,
  };
}
