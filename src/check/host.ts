// File access for imports goes through a host, so tests and `compile(source)` need no disk and a
// program can serve sources from anywhere. Standard-library imports get the virtual path
// `std/NAME.sftgo`, which keeps diagnostics short; the default host maps it to the package's stdlib/.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface CompileHost {
  /** The file's text, or undefined when it cannot be read. */
  readFile(path: string): string | undefined;
  /** The path of `spec` as written in `import "spec"` inside `fromFile`. */
  resolve(spec: string, fromFile: string): string;
}

/** The package root (the folder with package.json), from src/ under tsx or dist/src/ when built. */
export const packageRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
})();

/** package.json's version, for config.json; 'unknown' when it cannot be read. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** `std/sftgo` and `std/sftgo.sftgo` both name stdlib/sftgo.sftgo; everything else is relative. */
export function resolveImport(spec: string, fromFile: string): string {
  if (spec.startsWith('std/')) return spec.endsWith('.sftgo') ? spec : `${spec}.sftgo`;
  return normalize(join(dirname(fromFile), spec));
}

function readStd(path: string): string | undefined {
  return readIfExists(join(packageRoot, 'stdlib', path.slice('std/'.length)));
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
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
