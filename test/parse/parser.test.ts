// The grammar itself: chevrotain's own checks (no ambiguous alternatives, no left recursion), which
// the process-wide parser skips for start-up speed, and the lexical rules of LANGUAGE.md §2.
import { strict as assert } from 'node:assert';
import { lex } from '../../src/parse/lexer.js';
import { parse } from '../../src/parse/index.js';
import { SftgoParser, sftgoParser } from '../../src/parse/parser.js';

function tokenNames(source: string): string[] {
  return lex(source, 't.sftgo').tokens.map((t) => `${t.tokenType.name}:${t.image}`);
}

describe('parser: grammar and lexer', () => {
  it('passes chevrotain grammar validation', () => {
    assert.doesNotThrow(() => new SftgoParser({ validate: true }));
  });

  it('builds the parser once per process', () => {
    assert.equal(sftgoParser(), sftgoParser());
  });

  it('lexes Greek letters as words of their own, and keywords only as whole words', () => {
    assert.deepEqual(tokenNames('λ·ce grouping top_k'), ['GreekLetter:λ', 'Star:·', 'Identifier:ce', 'Identifier:grouping', 'Identifier:top_k']);
  });

  it('lexes the alternative operator spellings', () => {
    assert.deepEqual(tokenNames('a × b − c → d -> e & f | g ! h'), [
      'Identifier:a', 'Star:×', 'Identifier:b', 'Minus:−', 'Identifier:c', 'Arrow:→', 'Identifier:d', 'Arrow:->', 'Identifier:e',
      'Ampersand:&', 'Identifier:f', 'Pipe:|', 'Identifier:g', 'Bang:!', 'Identifier:h',
    ]);
  });

  it('keeps comments in their own group with their markers stripped in the AST', () => {
    const { ast } = parse('# one\nloss = mean(ce) // two\n#\n', 'c.sftgo');
    assert.deepEqual(ast.comments.map((c) => [c.marker, c.text, c.span.start.line]), [['#', ' one', 1], ['//', ' two', 2], ['#', '', 3]]);
  });

  it('reads percent literals as fractions and keeps the spelling', () => {
    const { ast } = parse('let a = 30%\nlet b = 7%\nlet c = 1e-5\n', 'p.sftgo');
    const values = ast.statements.map((s) => (s.kind === 'Let' && (s.value.kind === 'Percent' || s.value.kind === 'Number') ? [s.value.value, s.value.text] : undefined));
    assert.deepEqual(values, [[0.3, '30%'], [0.07, '7%'], [1e-5, '1e-5']]);
  });

  it('continues a statement across newlines inside ( ) and [ ], but not at the top level', () => {
    const { ast, diagnostics } = parse('let x = max(a,\n  b)\nlet y = [1,\n 2]\nloss = x\n+ y\n', 'n.sftgo');
    assert.deepEqual(ast.statements.map((s) => s.kind), ['Let', 'Let', 'Loss']);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.span.start.line]), [['E0110', 6]]);
  });

  it('accepts keywords as setting keys and keyword-argument names, and `loss` as a callee', () => {
    const { ast, diagnostics } = parse('data { train = "t.jsonl", sample = 1 }\ngroup g = loss(per = 1, top 10% per batch)\n', 'k.sftgo');
    assert.deepEqual(diagnostics, []);
    const block = ast.statements[0];
    assert.ok(block?.kind === 'Block');
    assert.deepEqual(block.entries.map((e) => e.key.name), ['train', 'sample']);
    const group = ast.statements[1];
    assert.ok(group?.kind === 'Group' && group.selector.kind === 'Call');
    assert.equal(group.selector.callee.name, 'loss');
    assert.equal(group.selector.args[0]?.name?.name, 'per');
    assert.equal(group.selector.rank?.per, 'batch');
  });

  it('canonicalises Greek aliases in the name and keeps the spelling in the text', () => {
    const { ast } = parse('param lambda = 0.5', 'g.sftgo');
    const param = ast.statements[0];
    assert.ok(param?.kind === 'Param');
    assert.deepEqual([param.name.name, param.name.text], ['λ', 'lambda']);
  });

  it('never throws on an empty file or one of only comments and separators', () => {
    for (const source of ['', '\n\n', ';;;', '# only a comment', '\r\n']) {
      const { ast, diagnostics } = parse(source, 'e.sftgo');
      assert.deepEqual([ast.statements, diagnostics], [[], []]);
    }
  });
});
