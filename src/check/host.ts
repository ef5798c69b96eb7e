// File access for imports goes through a host, so tests and `compile(source)` need no disk and a
// program can serve sources from anywhere. Standard-library imports get the virtual path
// `std/NAME.sftgo`, which keeps diagnostics short; the default host maps it to the package's stdlib/.
// Imports resolve one way everywhere: `std/…` from the standard library, an absolute path as it is,
// anything else relative to the folder of the importing file.
import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { readSourceFile } from './read-source.js';

export interface CompileHost {
  /** The file's text; undefined when there is no such file; `{ problem }` when it exists but may not be read. */
  readFile(path: string): string | undefined | { problem: string };
  /** The path of `spec` as written in `import "spec"` inside `fromFile`. */
  resolve(spec: string, fromFile: string): string;
  /** Why the program at `path` (a `command("PATH")` reward) cannot run, or undefined when it can; absent: not checked. */
  programProblem?(path: string): string | undefined;
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

/** Why `path` cannot be run (not there, not a regular file, not executable), or undefined. */
function diskProgramProblem(path: string): string | undefined {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    return 'does not exist';
  }
  if (!isFile) return 'is not a regular file';
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return 'is not executable (chmod +x it and give it a #! line)';
  }
  return undefined;
}

/** The folder a file's relative paths (a reward program) are resolved against; `std/` files live in the package's stdlib/. */
export function folderOf(file: string): string {
  return file.startsWith('std/') ? join(packageRoot, 'stdlib') : dirname(file);
}

/** Reads from disk; `std/` paths come from the package's stdlib/. */
export const nodeHost: CompileHost = {
  readFile: (path) => (path.startsWith('std/') ? readStd(path) : readIfExists(path)),
  resolve: resolveImport,
  programProblem: diskProgramProblem,
};

/** Serves the given sources by path (for tests and programs); `std/` still comes from the package. */
export function memoryHost(files: Record<string, string>): CompileHost {
  return {
    readFile: (path) => (Object.hasOwn(files, path) ? files[path] : path.startsWith('std/') ? readStd(path) : undefined),
    resolve: resolveImport,
    // A served file stands for an executable program; anything else does not exist.
    programProblem: (path) => (Object.hasOwn(files, path) ? undefined : 'does not exist'),
  };
}
