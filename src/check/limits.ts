// Bounds on what a program may ask of the compiler, checked before any recursive pass runs. The
// checker, lowering and the IR passes recurse over expressions, so their depth must be bounded; a
// `let` is computed once (the IR is a DAG), but its nesting adds to every expression that uses it.
// This pass is iterative (an explicit stack), so it cannot itself overflow on hostile input.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Expression, SourceFile, Statement } from '../parse/ast.js';

/** `param`, `let` and `group` statements over all files. */
export const MAX_DEFINITIONS = 10_000;
/** Nesting of one expression, counting the nesting of the lets it uses (a sum of n terms nests n deep). */
export const MAX_NESTING = 500;
/** Terms (syntax nodes) in one statement's expression. */
export const MAX_TERMS = 20_000;
/** Files loaded by one program (the main file and its imports). */
export const MAX_FILES = 256;

/** Children of an expression in the syntax tree. */
function expressionChildren(e: Expression): Expression[] {
  switch (e.kind) {
    case 'List':
      return e.items;
    case 'Unary':
      return [e.operand];
    case 'Binary':
      return [e.left, e.right];
    case 'Call': {
      const args = e.args.map((a) => a.value);
      return e.rank === undefined ? args : [...args, e.rank.amount];
    }
    case 'Index':
      return [e.target, e.index];
    case 'Arrow':
      return [e.from, e.to];
    case 'Paren':
      return [e.inner];
    default:
      return [];
  }
}

function statementExpressions(s: Statement): Expression[] {
  switch (s.kind) {
    case 'Param':
    case 'Let':
    case 'Loss':
      return [s.value];
    case 'Group':
      return [s.selector];
    case 'Block':
      return s.entries.map((e) => e.value);
    default:
      return [];
  }
}

interface Measured {
  /** Nesting of the expression itself. */
  depth: number;
  /** Each identifier with the depth it appears at. */
  refs: [string, number][];
}

/**
 * Reports E0601–E0604 and returns whether the program is within bounds. References bind late (an
 * importing file may redefine a name an imported let uses), so a name's nesting is the largest over
 * all its definitions, computed over the graph of names after every file is measured.
 */
/** `files`: the loaded files (load.ts's LoadedFile; only their syntax trees are read, and load.ts imports MAX_FILES from here). */
export function checkLimits(files: readonly { ast: SourceFile }[], diagnostics: Diagnostic[], extra: readonly Statement[] = []): boolean {
  let ok = true;
  let definitions = 0;
  const byName = new Map<string, Measured[]>();
  const uses: { root: Expression; measured: Measured }[] = [];
  for (const statements of [...files.map((f) => f.ast.statements), extra]) {
    for (const s of statements) {
      const isDefinition = s.kind === 'Param' || s.kind === 'Let' || s.kind === 'Group';
      if (isDefinition && ++definitions === MAX_DEFINITIONS + 1) {
        diagnostics.push(error('E0601', `too many definitions: more than ${MAX_DEFINITIONS} param, let and group statements`, s.span, 'an objective needs a handful; generate fewer, or combine them'));
        ok = false;
      }
      for (const root of statementExpressions(s)) {
        const measured = measure(root, diagnostics);
        if (measured === undefined) {
          ok = false;
          continue;
        }
        uses.push({ root, measured });
        if (isDefinition) {
          const list = byName.get(s.name.name) ?? [];
          list.push(measured);
          byName.set(s.name.name, list);
        }
      }
    }
  }
  if (!ok) return false;
  const nesting = nameNesting(byName);
  for (const { root, measured } of uses) {
    let deepest = measured.depth;
    let reported = false;
    for (const [name, at] of measured.refs) {
      const inner = nesting.get(name) ?? 0;
      deepest = Math.max(deepest, at + inner);
      // A let already over the limit was reported where it is defined: not again at every use.
      if (inner > MAX_NESTING) reported = true;
    }
    if (deepest > MAX_NESTING && !reported) {
      diagnostics.push(
        error('E0602', `this expression nests ${deepest} levels deep, counting the lets it uses (the limit is ${MAX_NESTING})`, root.span, 'a sum of n terms nests n deep: reduce with mean(…) or sum(…) over tokens or groups, or max(groups), instead of writing terms out'),
      );
      ok = false;
    }
  }
  return ok;
}

/** Depth, terms and references of one expression, with an explicit stack; undefined after E0603/E0604. */
function measure(root: Expression, diagnostics: Diagnostic[]): Measured | undefined {
  let depth = 0;
  let terms = 0;
  let ok = true;
  const refs: [string, number][] = [];
  const stack: [Expression, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [e, at] = stack.pop()!;
    if (++terms > MAX_TERMS) {
      diagnostics.push(error('E0603', `this expression has more than ${MAX_TERMS} terms`, root.span, 'split it into lets, or reduce over tokens or groups instead of writing terms out'));
      return undefined;
    }
    if (at > depth) depth = at;
    if (e.kind === 'Identifier') refs.push([e.name, at]);
    if (e.kind === 'Number' && !Number.isFinite(e.value)) {
      diagnostics.push(error('E0604', `the number ${e.text} is out of range (it is not a finite double)`, e.span, 'numbers must be finite: at most about 1.8e308'));
      ok = false;
    }
    for (const c of expressionChildren(e)) stack.push([c, at + 1]);
  }
  return ok ? { depth, refs } : undefined;
}

/**
 * Each name's nesting: its deepest definition, counting the names it refers to. An iterative
 * depth-first search; a cycle (reported later as E0207) contributes nothing.
 */
function nameNesting(byName: ReadonlyMap<string, Measured[]>): Map<string, number> {
  const done = new Map<string, number>();
  const onStack = new Set<string>();
  for (const start of byName.keys()) {
    if (done.has(start)) continue;
    const stack: { name: string; expanded: boolean }[] = [{ name: start, expanded: false }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (done.has(top.name)) {
        stack.pop();
        continue;
      }
      const defs = byName.get(top.name) ?? [];
      if (!top.expanded) {
        top.expanded = true;
        onStack.add(top.name);
        for (const d of defs) for (const [ref] of d.refs) if (byName.has(ref) && !done.has(ref) && !onStack.has(ref)) stack.push({ name: ref, expanded: false });
        continue;
      }
      let deepest = 0;
      for (const d of defs) {
        deepest = Math.max(deepest, d.depth);
        for (const [ref, at] of d.refs) deepest = Math.max(deepest, at + (done.get(ref) ?? 0));
      }
      // Capped, so that a long chain cannot grow numbers without bound; the cap already exceeds the limit.
      done.set(top.name, Math.min(deepest, MAX_NESTING + 1));
      onStack.delete(top.name);
      stack.pop();
    }
  }
  return done;
}
