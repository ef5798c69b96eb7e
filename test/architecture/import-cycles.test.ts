// No import cycle among src/ files: every import, `import type` and `import()` included, so the
// stages stay layered (a cycle through types still ties two stages together). The finder is
// tested on a small graph with a known cycle first, so the src/ check cannot pass vacuously.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { repoRoot } from '../helpers/golden.js';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The relative modules `file` imports or re-exports, statically or dynamically, as .ts paths. */
function importsOf(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const specs: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      specs.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      specs.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specs.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')));
}

/** Strongly connected components with more than one node (or a self-import): Tarjan's algorithm. */
export function cyclesOf(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return cycles;
}

describe('architecture: import cycles', () => {
  it('the cycle finder finds a known cycle and a self-import, and nothing in a DAG', () => {
    const graph = new Map([['a', ['b']], ['b', ['c']], ['c', ['a', 'd']], ['d', []], ['e', ['e']]]);
    assert.deepEqual(cyclesOf(graph), [['a', 'b', 'c'], ['e']]);
    assert.deepEqual(cyclesOf(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]])), []);
  });

  it('reads static, type-only, re-export and dynamic imports', () => {
    const here = join(repoRoot, 'src', 'pipeline.ts');
    const deps = importsOf(here).map((p) => relative(join(repoRoot, 'src'), p));
    assert.ok(deps.includes('compile.ts') && deps.includes('engine/types.ts'), deps.join(', '));
    assert.ok(importsOf(join(repoRoot, 'src', 'engine', 'index.ts')).some((p) => p.endsWith(join('engine', 'tfjs', 'index.ts'))));
  });

  it('finds no import cycle among src/ files', () => {
    const files = sourceFiles(join(repoRoot, 'src'));
    assert.ok(files.length > 100);
    const graph = new Map(files.map((f) => [resolve(f), importsOf(f)]));
    const cycles = cyclesOf(graph).map((c) => c.map((f) => relative(repoRoot, f)).join(' → '));
    assert.deepEqual(cycles, [], `import cycles:\n  ${cycles.join('\n  ')}`);
  });
});

/**
 * The folders of src/, lowest first: a file may import from its own folder and from folders before
 * it, never after (docs/architecture.md draws this order). `(top)` is src/'s own files: the
 * compiler's entry (compile.ts) and the pipeline (pipeline.ts). A new folder must be placed here.
 */
export const FOLDER_ORDER = [
  'util', 'diagnostics', 'language', 'parse', 'tokenizer', 'check', 'ir', 'analysis',
  'backend', 'head', 'model', 'data', 'onpolicy', 'train', 'groupers', 'generate', 'lower', 'engine',
  'run', '(top)', 'fmt', 'cli', 'init', 'compare', 'report', 'sweep', 'app', 'commands',
] as const;

/** The first folder of a path under src/, `(top)` for src/'s own files. */
function folderOf(srcRoot: string, file: string): string {
  const parts = relative(srcRoot, file).split(/[\\/]/);
  return parts.length > 1 ? parts[0]! : '(top)';
}

/** Imports that go up the order (or into a folder the order does not name), as `file -> import`. */
export function upwardImports(srcRoot: string, files: ReadonlyMap<string, readonly string[]>, order: readonly string[]): string[] {
  const rank = new Map(order.map((f, i) => [f, i]));
  const found: string[] = [];
  for (const [file, deps] of files) {
    const from = folderOf(srcRoot, file);
    for (const dep of deps) {
      const to = folderOf(srcRoot, dep);
      if (from === to) continue;
      const a = rank.get(from);
      const b = rank.get(to);
      if (a === undefined || b === undefined || b > a) found.push(`${relative(srcRoot, file)} -> ${relative(srcRoot, dep)}${a === undefined || b === undefined ? ' (folder not in FOLDER_ORDER)' : ''}`);
    }
  }
  return found.sort();
}

describe('architecture: folder order', () => {
  const srcRoot = join(repoRoot, 'src');

  it('finds a planted upward import (check importing the engine) and a folder the order lacks', () => {
    const planted = new Map([
      [join(srcRoot, 'check', 'typecheck.ts'), [join(srcRoot, 'engine', 'types.ts'), join(srcRoot, 'ir', 'nodes.ts')]],
      [join(srcRoot, 'engine', 'types.ts'), [join(srcRoot, 'ir', 'nodes.ts'), join(srcRoot, 'engine', 'index.ts')]],
      [join(srcRoot, 'newfolder', 'x.ts'), [join(srcRoot, 'util', 'atomic.ts')]],
    ]);
    assert.deepEqual(upwardImports(srcRoot, planted, FOLDER_ORDER), [
      'check/typecheck.ts -> engine/types.ts',
      'check/typecheck.ts -> ir/nodes.ts',
      'newfolder/x.ts -> util/atomic.ts (folder not in FOLDER_ORDER)',
    ]);
  });

  it('every import in src/ goes down the declared order', () => {
    const graph = new Map(sourceFiles(srcRoot).map((f) => [f, importsOf(f)] as const));
    assert.deepEqual(upwardImports(srcRoot, graph, FOLDER_ORDER), []);
  });

  it('names every folder of src/ once', () => {
    const folders = readdirSync(srcRoot).filter((n) => statSync(join(srcRoot, n)).isDirectory()).sort();
    assert.deepEqual([...FOLDER_ORDER].filter((f) => f !== '(top)').sort(), folders);
    assert.equal(new Set(FOLDER_ORDER).size, FOLDER_ORDER.length);
  });
});
