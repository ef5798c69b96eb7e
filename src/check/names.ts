// Name resolution across the loaded files. Every file sees the predeclared names, everything its
// imports (transitively) define, and its own definitions above the current statement. References
// bind late, to the last definition in load order, so an importing file's `param η = 20%` also
// changes the η that an imported group uses: that is what "this file may redefine any of them" means.
import { canonicalName } from '../language/builtins.js';
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import { fileSpan, type Span } from '../diagnostics/span.js';
import type { BlockStatement, Expression, Statement } from '../parse/ast.js';
import { TOKEN_QUANTITIES } from '../language/values.js';
import type { LoadedFile } from './load.js';

export type DefinitionKind = 'param' | 'let' | 'group';

/** A read-only set of names (a Set, or a view of a growing list of names at one statement). */
export interface NameSet {
  has(name: string): boolean;
  [Symbol.iterator](): Iterator<string>;
}

/** The names visible to one statement. */
export interface Scope {
  visible: NameSet;
  /** Names that this file defines further down: a use of one is "used before definition". */
  later: NameSet;
  /** Names defined by statements that failed to parse: uses of them are not reported again. */
  broken: ReadonlySet<string>;
}

export interface Definition {
  kind: DefinitionKind;
  name: string;
  nameSpan: Span;
  value: Expression;
  file: string;
  scope: Scope;
}

export interface LossDefinition {
  value: Expression;
  span: Span;
  file: string;
  scope: Scope;
}

export interface Program {
  files: LoadedFile[];
  /** Every definition of every file, in load order, including redefined ones (they are checked too). */
  definitions: Definition[];
  /** The definition each name finally refers to. */
  winners: Map<string, Definition>;
  /** The final group definitions, in the order their names were first declared. */
  groups: Definition[];
  loss?: LossDefinition;
  /** `reward = …` (on-policy training): the last file's, as for the loss. */
  reward?: LossDefinition;
  name: string;
  /** `fromFlag`: a one-entry block made from a `--set` flag (src/check/set-overrides.ts). */
  blocks: { statement: BlockStatement; file: string; fromFlag?: boolean }[];
}

export const RESERVED_NAMES: ReadonlySet<string> = new Set(['groups', 'rest', 'step', 'progress', ...TOKEN_QUANTITIES]);

export const PRELUDE_FILE = '<prelude>';

/** `param λ = 0.9`, the SFT-GO paper's default, as if every file imported it. */
function preludeDefinition(): Definition {
  const span = fileSpan(PRELUDE_FILE);
  return {
    kind: 'param',
    name: 'λ',
    nameSpan: span,
    value: { kind: 'Number', span, value: 0.9, text: '0.9' },
    file: PRELUDE_FILE,
    scope: { visible: new Set(), later: new Set(), broken: new Set() },
  };
}

function definedName(s: Statement): { kind: DefinitionKind; name: string; span: Span; value: Expression } | undefined {
  if (s.kind === 'Param') return { kind: 'param', name: s.name.name, span: s.name.span, value: s.value };
  if (s.kind === 'Let') return { kind: 'let', name: s.name.name, span: s.name.span, value: s.value };
  if (s.kind === 'Group') return { kind: 'group', name: s.name.name, span: s.name.span, value: s.selector };
  return undefined;
}

function fileStem(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  return base.replace(/\.sftgo$/, '') || 'objective';
}

export function resolveNames(files: LoadedFile[], diagnostics: Diagnostic[], mainPath?: string): Program {
  const prelude = preludeDefinition();
  const definitions: Definition[] = [prelude];
  const winners = new Map<string, Definition>([[prelude.name, prelude]]);
  const groupOrder: string[] = [];
  const blocks: Program['blocks'] = [];
  /** The definition each file sees for a name through its imports, to check redefinition kinds. */
  const exportedDefs = new Map<string, Map<string, Definition>>();
  let loss: LossDefinition | undefined;
  let reward: LossDefinition | undefined;
  let brokenLoss = false;
  const main = files.find((f) => f.path === mainPath) ?? files[files.length - 1]!;
  let name = fileStem(main.path);

  for (const file of files) {
    const inherited = new Map<string, Definition>([[prelude.name, prelude]]);
    for (const imp of file.imports) for (const [n, d] of exportedDefs.get(imp) ?? []) inherited.set(n, d);
    // Each statement's scope is a view of two shared tables (O(1) per statement): copying the visible
    // names for every statement made 20,000 `param` lines quadratic.
    const visible = new GrowingNames(inherited.keys());
    const own = new Map<string, Definition>();
    const firstDefinition = new Map<string, number>();
    file.ast.statements.forEach((s, i) => {
      const d = definedName(s);
      if (d !== undefined && !firstDefinition.has(d.name)) firstDefinition.set(d.name, i);
    });
    const unparsed = unparsedStatements(file);
    const broken = unparsed.names;
    if (unparsed.loss) brokenLoss = true;
    let fileLoss: LossDefinition | undefined;
    let fileReward: LossDefinition | undefined;
    let headerSeen = false;
    for (const [index, s] of file.ast.statements.entries()) {
      const scope: Scope = { visible: visible.view(), later: laterView(firstDefinition, index), broken };
      if (s.kind === 'Loss') {
        if (fileLoss !== undefined) {
          diagnostics.push(error('E0211', 'this file already has a loss', s.span, `the first loss is on line ${fileLoss.span.start.line}; keep one`));
        } else {
          fileLoss = { value: s.value, span: s.span, file: file.path, scope };
        }
        continue;
      }
      if (s.kind === 'Reward') {
        if (fileReward !== undefined) {
          diagnostics.push(error('E0707', 'this file already has a reward', s.span, `the first reward is on line ${fileReward.span.start.line}; keep one`));
        } else {
          fileReward = { value: s.value, span: s.span, file: file.path, scope };
        }
        continue;
      }
      if (s.kind === 'Objective') {
        if (file === main) {
          if (headerSeen) diagnostics.push(error('E0213', 'the objective is already named in this file', s.span));
          else name = s.name.name;
        }
        headerSeen = true;
        continue;
      }
      if (s.kind === 'Block') {
        blocks.push({ statement: s, file: file.path });
        continue;
      }
      const d = definedName(s);
      if (d === undefined) continue;
      if (RESERVED_NAMES.has(d.name)) {
        diagnostics.push(error('E0204', `\`${d.name}\` is a reserved name and cannot be defined`, d.span, 'choose another name'));
        continue;
      }
      const def: Definition = { kind: d.kind, name: d.name, nameSpan: d.span, value: d.value, file: file.path, scope };
      const first = own.get(d.name);
      if (first !== undefined) {
        diagnostics.push(
          error('E0203', `\`${d.name}\` is already defined in this file (line ${first.nameSpan.start.line})`, d.span, 'rename one of them or delete one'),
        );
        continue;
      }
      const imported = inherited.get(d.name);
      if (imported !== undefined && imported.kind !== d.kind) {
        diagnostics.push(
          error('E0208', `\`${d.name}\` is imported as a ${imported.kind} and cannot be redefined as a ${d.kind}`, d.span, `write \`${imported.kind} ${d.name} = …\``),
        );
        continue;
      }
      own.set(d.name, def);
      visible.add(d.name);
      definitions.push(def);
      winners.set(d.name, def);
      if (d.kind === 'group' && !groupOrder.includes(d.name)) groupOrder.push(d.name);
    }
    if (fileLoss !== undefined) loss = fileLoss;
    if (fileReward !== undefined) reward = fileReward;
    const exports = new Map(inherited);
    for (const [n, d] of own) exports.set(n, d);
    exportedDefs.set(file.path, exports);
  }

  if (loss === undefined && !brokenLoss) {
    diagnostics.push(error('E0210', 'the objective has no `loss`', fileSpan(main.path), 'add a line such as `loss = mean(ce)`'));
  }
  const groups = groupOrder.map((n) => winners.get(n)!).filter((d) => d.kind === 'group');
  return { files, definitions, winners, groups, loss, reward, name, blocks };
}

/** Names in the order they became visible; a view sees the names added before it was taken. */
class GrowingNames {
  private readonly order = new Map<string, number>();
  private readonly list: string[] = [];

  constructor(initial: Iterable<string>) {
    for (const n of initial) this.add(n);
  }

  add(name: string): void {
    if (this.order.has(name)) return;
    this.order.set(name, this.list.length);
    this.list.push(name);
  }

  view(): NameSet {
    const size = this.list.length;
    return {
      has: (name) => (this.order.get(name) ?? Infinity) < size,
      [Symbol.iterator]: () => this.list.slice(0, size)[Symbol.iterator](),
    };
  }
}

/** The names this file first defines at statement `index` or below it. */
function laterView(firstDefinition: ReadonlyMap<string, number>, index: number): NameSet {
  return {
    has: (name) => (firstDefinition.get(name) ?? -1) >= index,
    [Symbol.iterator]: () => [...firstDefinition].filter(([, i]) => i >= index).map(([n]) => n)[Symbol.iterator](),
  };
}

/**
 * What the statements the parser dropped would have defined, read from the raw text: a syntax
 * error in `param η = (30%` should not also make every later `η` an unknown name, nor a broken
 * `loss = …` line a missing loss.
 */
function unparsedStatements(file: LoadedFile): { names: Set<string>; loss: boolean } {
  const parsed = new Set<string>();
  let parsedLoss = false;
  for (const s of file.ast.statements) {
    const d = definedName(s);
    if (d !== undefined) parsed.add(d.name);
    if (s.kind === 'Loss') parsedLoss = true;
  }
  const names = new Set<string>();
  let loss = false;
  const text = file.source.replace(/(#|\/\/).*$/gm, '');
  for (const m of text.matchAll(/(?:^|;)\s*(param|let|group)\s+([A-Za-z_][A-Za-z0-9_]*|[ληταβγε])/gmu)) {
    const name = canonicalName(m[2]!);
    if (!parsed.has(name)) names.add(name);
  }
  if (!parsedLoss && /(?:^|;)\s*loss\s*=/m.test(text)) loss = true;
  return { names, loss };
}
