// Robustness: thousands of generated and mutated sources through parse(). Whatever the input, no
// exception escapes, and every span (diagnostics and AST nodes alike) lies inside the source with
// line/column matching an independent computation. Valid generated programs parse without diagnostics.
// Seeded, so a failure reproduces; the failing source is printed in the assertion message.
import { strict as assert } from 'node:assert';
import { positionAt, type Position, type Span } from '../../src/diagnostics/span.js';
import { parse } from '../../src/parse/index.js';
import { E_PARSER_BUG, PARSE_CODES } from '../../src/parse/codes.js';
import { compile } from '../../src/compile.js';
import { memoryHost } from '../../src/check/host.js';
import { allCodes } from '../../src/codes.js';
import { mulberry32 } from '../../src/util/prng.js';

const rng = mulberry32;

class Gen {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }

  name(): string {
    return this.pick(['x', 'ce', 'p', 'λ', 'lambda', 'η', 'tau', 'groups', 'important', 'rest', 'advantage', 'w_2', 'entropy']);
  }

  literal(): string {
    return this.pick(['3', '0.9', '1e-5', '2.5E+3', '30%', '0%', '12.5%', 'true', 'false', '"s"', '"a \\"b\\" \\\\ \\n"']);
  }

  rank(): string {
    const amount = this.pick(['30%', 'η', '10%', '(1 - 0.5)']);
    const per = this.chance(0.5) ? ` per ${this.pick(['sample', 'batch', 'corpus'])}` : '';
    return `${this.pick(['top', 'bottom'])} ${amount}${per}`;
  }

  call(depth: number): string {
    const args: string[] = [];
    const n = this.int(3);
    for (let i = 0; i < n; i++) {
      const value = this.chance(0.15) ? `${this.expr(depth + 1)} ${this.pick(['->', '→'])} ${this.expr(depth + 1)}` : this.expr(depth + 1);
      args.push(this.chance(0.3) ? `${this.pick(['of', 'seed', 'over', 'temperature', 'step', 'batch'])} = ${value}` : value);
    }
    let inside = args.join(this.pick([', ', ',\n  ', ',']));
    if (this.chance(0.3)) inside += `${inside === '' ? '' : this.pick([', ', ' '])}${this.rank()}`;
    return `${this.pick(['tfidf', 'mean', 'max', 'linear', 'sg', 'loss', 'random'])}(${inside})`;
  }

  /** Any expression: booleans and comparisons (which do not chain) over arithmetic. */
  expr(depth = 0): string {
    if (depth > 4 || this.chance(0.3)) return this.arith(depth + 1);
    switch (this.int(4)) {
      case 0:
        return `${this.expr(depth + 1)} ${this.pick(['and', 'or', '&', '|'])} ${this.expr(depth + 1)}`;
      case 1:
        return `${this.pick(['not ', '!'])}${this.expr(depth + 1)}`;
      case 2:
        return `${this.arith(depth + 1)} ${this.pick(['<', '<=', '>', '>=', '==', '!='])} ${this.arith(depth + 1)}`;
      default:
        return this.arith(depth);
    }
  }

  /** An operand of a comparison: no `and`, `or`, `not` or comparison at its top. */
  arith(depth: number): string {
    if (depth > 4 || this.chance(0.3)) return this.chance(0.5) ? this.name() : this.literal();
    switch (this.int(7)) {
      case 0:
        return `${this.arith(depth + 1)} ${this.pick(['+', '-', '*', '/', '^', '·', '×', '−'])} ${this.arith(depth + 1)}`;
      case 1:
        return `-${this.arith(depth + 1)}`;
      case 2:
        return `(${this.expr(depth + 1)})`;
      case 3:
        return `[${Array.from({ length: this.int(3) }, () => this.expr(depth + 1)).join(', ')}]`;
      case 4:
        return `${this.name()}[${this.expr(depth + 1)}]`;
      default:
        return this.call(depth);
    }
  }

  statement(): string {
    switch (this.int(8)) {
      case 0:
        return `param ${this.name()} = ${this.expr()}`;
      case 1:
        return `let ${this.name()} = ${this.expr()}`;
      case 2:
        return `group ${this.name()} = ${this.call(0)}`;
      case 3:
        return `import "${this.pick(['std/sftgo', './base.sftgo'])}"`;
      case 4:
        return `objective ${this.name()}`;
      case 5: {
        const entries = Array.from({ length: this.int(4) }, () => `${this.pick(['batch', 'lr', 'data', 'sample', 'path', 'betas'])} = ${this.expr(2)}`);
        return `${this.pick(['model', 'reference', 'data', 'train'])} {${this.pick([' ', '\n  '])}${entries.join(this.pick([', ', '\n  ', ',\n  ']))}${this.pick([' ', '\n'])}}`;
      }
      default:
        return `loss = ${this.expr()}`;
    }
  }

  program(): string {
    const parts: string[] = [];
    const n = 1 + this.int(5);
    for (let i = 0; i < n; i++) {
      if (this.chance(0.2)) parts.push(this.pick(['# a comment\n', '// another\n', '']));
      // A trailing comment ends its line, so it brings its own newline.
      parts.push(this.statement() + (this.chance(0.2) ? ' # trailing\n' : ''));
    }
    return parts.join(this.pick(['\n', '; ', '\r\n', '\n\n'])) + (this.chance(0.5) ? '\n' : '');
  }

  /** Breaks a source in one of several ways. */
  mutate(source: string): string {
    const at = this.int(source.length + 1);
    switch (this.int(13)) {
      case 0:
        return source.slice(0, at);
      case 1: {
        const tokens = source.split(/(\s+|[()[\]{},;=])/);
        const i = this.int(tokens.length);
        const j = this.int(tokens.length);
        [tokens[i], tokens[j]] = [tokens[j]!, tokens[i]!];
        return tokens.join('');
      }
      case 2:
        return source.slice(0, at) + source.slice(at + 1 + this.int(6));
      case 3: {
        const junk = Array.from({ length: 1 + this.int(4) }, () => this.pick(['@', '$', '\0', '\uD800', '\uDC00', '😀', 'μ', '\r', '\t', '"', "'", '\\', '(', ')', ']', '{', '}', '%', '.', 'e', '->', '1e', '-']));
        return source.slice(0, at) + junk.join('') + source.slice(at);
      }
      case 4: {
        const from = this.int(source.length + 1);
        return source.slice(0, at) + source.slice(from, from + 1 + this.int(10)) + source.slice(at);
      }
      case 5:
        return Array.from({ length: 1 + this.int(40) }, () => String.fromCharCode(this.int(0x3000))).join('');
      case 6: {
        // Deep nesting is slow to parse by design (recursive descent), so it is sampled here and covered in depth below.
        const n = this.pick([10, 64, 65, 100]);
        const [open, close] = this.pick([['(', ')'], ['[', ']'], ['f(', ')'], ['{', '}'], ['-', ''], ['not ', ''], ['2^', '']]);
        return `loss = ${open!.repeat(n)}x${this.chance(0.8) ? close!.repeat(n) : ''}\n${source}`;
      }
      default: {
        // Replace a word with another: keywords where names go, names where keywords go.
        const words = source.split(/(\s+)/);
        words[this.int(words.length)] = this.pick(['group', 'loss', 'top', 'per', 'sample', 'train', '=', '->', ',', ';', 'x', '30%', '{', 'not']);
        return words.join('');
      }
    }
  }
}

function isSpan(value: unknown): value is Span {
  return typeof value === 'object' && value !== null && 'start' in value && 'end' in value && 'file' in value;
}

/** Every span inside `node` (deeply), with the path to it for the failure message. */
function* spansIn(node: unknown, path = '$'): Generator<[string, Span]> {
  if (isSpan(node)) {
    yield [path, node];
    return;
  }
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) yield* spansIn(node[i], `${path}[${i}]`);
  } else if (typeof node === 'object' && node !== null) {
    for (const [key, value] of Object.entries(node)) yield* spansIn(value, `${path}.${key}`);
  }
}

/**
 * The position of every offset of `source`, by one straight scan with the rules of positionAt in
 * diagnostics/span.ts (which the first test checks this against): an independent check of LineMap
 * that stays linear in the source's length.
 */
function positionTable(source: string): Position[] {
  const table: Position[] = [];
  let line = 1;
  let col = 1;
  for (let offset = 0; offset <= source.length; offset++) {
    table.push({ offset, line, col });
    const c = source.charCodeAt(offset);
    if (c === 10) {
      line++;
      col = 1;
    } else if (c < 0xdc00 || c > 0xdfff) {
      col++;
    }
  }
  return table;
}

function checkSpan(source: string, table: Position[], file: string, where: string, span: Span): void {
  const context = `${where} in ${JSON.stringify(source)}`;
  assert.equal(span.file, file, context);
  assert.ok(span.start.offset >= 0 && span.start.offset <= span.end.offset && span.end.offset <= source.length, `span out of range at ${context}`);
  assert.deepEqual(span.start, table[span.start.offset], `start position at ${context}`);
  assert.deepEqual(span.end, table[span.end.offset], `end position at ${context}`);
}

function checkParse(source: string): ReturnType<typeof parse> {
  const file = 'gen.sftgo';
  let result: ReturnType<typeof parse>;
  try {
    result = parse(source, file);
  } catch (e) {
    assert.fail(`parse threw ${String(e)} on ${JSON.stringify(source)}`);
  }
  const table = positionTable(source);
  for (const d of result.diagnostics) {
    assert.ok(d.code in PARSE_CODES, `unregistered code ${d.code}`);
    assert.notEqual(d.code, E_PARSER_BUG, `parser bug: ${d.message} on ${JSON.stringify(source)}`);
    checkSpan(source, table, file, `diagnostic ${d.code} ${d.message}`, d.span);
  }
  for (const [path, span] of spansIn(result.ast)) checkSpan(source, table, file, path, span);
  return result;
}

describe('parser: robustness', function () {
  this.timeout(60_000);

  it('the position table agrees with positionAt', () => {
    const source = 'a λ\r\n😀 b\n\nc\uD800';
    assert.deepEqual(positionTable(source), Array.from({ length: source.length + 1 }, (_, i) => positionAt(source, i)));
  });

  it('parses 1,000 generated valid programs without diagnostics', () => {
    const gen = new Gen(rng(20260522));
    for (let i = 0; i < 1000; i++) {
      const source = gen.program();
      const { diagnostics, ast } = checkParse(source);
      assert.deepEqual(diagnostics.map((d) => d.message), [], `diagnostics for valid ${JSON.stringify(source)}`);
      assert.ok(ast.statements.length > 0, `no statements for ${JSON.stringify(source)}`);
    }
  });

  it('never throws and keeps every span inside the source, over 5,000 mutated sources', () => {
    const gen = new Gen(rng(7));
    for (let i = 0; i < 5000; i++) {
      let source = gen.program();
      for (let m = 1 + gen.int(3); m > 0; m--) source = gen.mutate(source);
      checkParse(source);
    }
  });

  it('the same 5,000 mutated sources through compile(): no exception, no internal error, every diagnostic a registered code with a valid span', () => {
    const gen = new Gen(rng(7));
    const codes = allCodes();
    const file = 'gen.sftgo';
    for (let i = 0; i < 5000; i++) {
      let source = gen.program();
      for (let m = 1 + gen.int(3); m > 0; m--) source = gen.mutate(source);
      let result: ReturnType<typeof compile>;
      try {
        result = compile(source, { file, host: memoryHost({ [file]: source }) });
      } catch (e) {
        assert.fail(`compile threw ${String(e)} on ${JSON.stringify(source)}`);
      }
      const table = positionTable(source);
      for (const d of result.diagnostics) {
        assert.ok(d.code in codes, `unregistered code ${d.code}`);
        assert.ok(d.code !== 'E0901' && d.code !== E_PARSER_BUG, `internal error ${d.code}: ${d.message} on ${JSON.stringify(source)}`);
        // Diagnostics about the main file point into it; those of imported std/ files into theirs.
        if (d.span.file === file) checkSpan(source, table, file, `diagnostic ${d.code} ${d.message}`, d.span);
        else assert.ok(d.span.file in result.sources || d.span.file.startsWith('std/') || d.span.file.startsWith('<'), `diagnostic in unknown file ${d.span.file}`);
      }
    }
  });

  it('reports 500 nested parentheses as too deep, and still parses the next statement', () => {
    const source = `loss = ${'('.repeat(500)}ce${')'.repeat(500)}\nparam η = 30%\n`;
    const { ast, diagnostics } = checkParse(source);
    assert.deepEqual(diagnostics.map((d) => d.code), ['E0113']);
    assert.deepEqual(ast.statements.map((s) => s.kind), ['Param']);
  });

  it('recovers from a stack overflow on a very long prefix chain', () => {
    const source = `loss = ${'-'.repeat(50_000)}ce\nparam η = 30%\n`;
    const { ast, diagnostics } = checkParse(source);
    assert.deepEqual(diagnostics.map((d) => d.code), ['E0113']);
    assert.deepEqual(ast.statements.map((s) => s.kind), ['Param']);
  });
});
