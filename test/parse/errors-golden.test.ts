// Golden rendered diagnostics for each lexer and parser error code, and the promise that one run
// reports every syntax error of a file.
import { strict as assert } from 'node:assert';
import { renderDiagnostics } from '../../src/diagnostics/render.js';
import { parse } from '../../src/parse/index.js';
import { E_PARSER_BUG, PARSE_CODES } from '../../src/parse/codes.js';
import { expectGolden } from '../helpers/golden.js';

const CASES: Record<string, { source: string; codes: string[] }> = {
  'E0101-unexpected-character': { source: 'loss = mean(ce) @ 2\nparam x = $$\nimport \'std/sft\'\n', codes: ['E0101', 'E0101', 'E0101', 'E0101'] },
  'E0101-greek-letter': { source: 'param μ = 0.5\n', codes: ['E0101'] },
  'E0102-unterminated-string': { source: 'import "std/sftgo\nloss = mean(ce)\n', codes: ['E0102'] },
  'E0103-bad-number': { source: 'param a = 1e\nparam b = .5\nparam c = 1.2.3\nparam d = 2x\n', codes: ['E0103', 'E0103', 'E0103', 'E0103'] },
  'E0104-bad-escape': { source: 'model { path = "C:\\models\\tiny" }\n', codes: ['E0104', 'E0104'] },
  'E0110-missing-expression': { source: 'loss =\nparam x = linear(0.9 -> , over = 50%)\n', codes: ['E0110', 'E0110'] },
  'E0114-statement-too-long': { source: `loss = mean(${Array.from({ length: 30_001 }, () => 'ce').join(' + ')})\n`, codes: ['E0114'] },
  'E0110-missing-name': { source: 'group = tfidf(top 30%)\nlet sample = 2\n', codes: ['E0110', 'E0110'] },
  'E0110-two-statements-one-line': { source: 'group g = tfidf(top 30%) loss = mean(ce)\n', codes: ['E0110'] },
  'E0110-chained-comparison': { source: 'group g = 0.1 < tfidf() < 0.5\n', codes: ['E0110'] },
  'E0110-block-separator': { source: 'train { batch = 16 lr = 3e-4 }\n', codes: ['E0110'] },
  'E0110-unknown-statement': { source: 'los = mean(ce)\nloss = mean(ce)\n', codes: ['E0110'] },
  'E0110-rank-not-last': { source: 'group g = random(top 30%, seed = 3)\n', codes: ['E0110'] },
  'E0110-bad-rank-scope': { source: 'group g = excess_loss(top 60% per token)\n', codes: ['E0110'] },
  'E0110-semicolon-in-block': { source: 'train { batch = 16; lr = 1e-4 }\n', codes: ['E0110'] },
  'E0111-unclosed-paren': { source: 'loss = mean(ce\ngroup g = tfidf(top 30%)\n', codes: ['E0111'] },
  'E0111-unclosed-block': { source: 'train {\n  batch = 16\nloss = mean(ce)\n', codes: ['E0111'] },
  'E0111-unclosed-at-end-of-file': { source: 'loss = max(groups, of = [ce', codes: ['E0111', 'E0111'] },
  'E0111-mismatched-closer': { source: 'loss = mean(ce[g)\n', codes: ['E0111'] },
  'E0112-unmatched-closer': { source: 'loss = mean(ce))\n', codes: ['E0112'] },
  'E0113-nested-too-deeply': { source: `let x = ${'('.repeat(65)}1${')'.repeat(65)}\nloss = mean(ce)\n`, codes: ['E0113'] },
};

describe('parser: golden diagnostics', () => {
  for (const [name, { source, codes }] of Object.entries(CASES)) {
    it(name, () => {
      const file = `${name}.sftgo`;
      const { diagnostics } = parse(source, file);
      assert.deepEqual(diagnostics.map((d) => d.code), codes);
      // A generated source of thousands of tokens is recorded by its start and length.
      const shown = source.length > 2000 ? `${source.slice(0, 200)}… (${source.length} characters)\n` : source;
      expectGolden(`parse-errors/${name}.txt`, `${shown}\n---\n${renderDiagnostics(diagnostics, () => source)}\n`);
    });
  }

  it('covers every registered parse code (but the one for parser bugs)', () => {
    const covered = new Set(Object.values(CASES).flatMap((c) => c.codes));
    assert.deepEqual([...covered].sort(), Object.keys(PARSE_CODES).filter((code) => code !== E_PARSER_BUG).sort());
  });

  it('reports three independent syntax errors on different lines, and keeps the good statements', () => {
    const source = ['param η = 30%', 'group g = tfidf(top )', 'let w = tfidf()', 'let x = 1 +', 'param τ = 0.1', 'loss = mean(ce[g]) *', ''].join('\n');
    const { ast, diagnostics } = parse(source, 'three.sftgo');
    assert.deepEqual(
      diagnostics.map((d) => [d.code, d.span.start.line]),
      [['E0110', 2], ['E0110', 4], ['E0110', 6]],
    );
    assert.deepEqual(
      ast.statements.map((s) => s.kind),
      ['Param', 'Let', 'Param'],
    );
  });

  it('messages name what was expected and what was found, not token types', () => {
    const { diagnostics } = parse('param x = f(a = )\n', 'm.sftgo');
    assert.equal(diagnostics[0]?.message, 'expected an expression after `=`, found `)`');
  });
});
