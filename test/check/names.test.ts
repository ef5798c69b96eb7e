import { strict as assert } from 'node:assert';
import { codes, lossText, run, where } from './helpers.js';
import { compile } from '../../src/compile.js';
import { memoryHost } from '../../src/check/host.js';
import { printExpr } from '../../src/ir/print.js';

describe('names and imports', () => {
  it('suggests the nearest name for an unknown one', () => {
    const r = run('param temperature = 0.5\nloss = mean(ce)·temprature');
    assert.deepEqual(where(r), ['E0201@2:17']);
    assert.equal(r.diagnostics[0]!.hint, 'did you mean `temperature`?');
  });
  it('reports a use before the definition, not an unknown name', () => {
    assert.deepEqual(codes(run('loss = mean(w·ce)\nlet w = sg(p)')), ['E0202']);
  });
  it('allows redefining the predeclared λ once, not twice', () => {
    const once = run('param λ = linear(0.9 -> 0.05)\nloss = λ·mean(ce)');
    assert.deepEqual(codes(once), []);
    assert.equal(printExpr(once.objective!.params[0]!.value), 'linear(0.9 -> 0.05)');
    assert.deepEqual(where(run('param λ = 0.5\nparam λ = 0.4\nloss = λ·mean(ce)')), ['E0203@2:7']);
  });
  it('accepts the ASCII alias of a Greek name', () => {
    assert.equal(lossText(run('param lambda = 0.5\nloss = λ·mean(ce)')), 'λ * mean(ce)');
  });
  it('rejects every reserved name', () => {
    for (const name of ['groups', 'rest', 'step', 'progress', 'ce', 'logp', 'p', 'entropy', 'ref_ce', 'excess', 'position', 'reward', 'advantage']) {
      assert.deepEqual(codes(run(`let ${name} = 1\nloss = mean(ce)`)), ['E0204'], name);
    }
  });
  it('an importing file overrides an imported param, and the imported group sees the new value', () => {
    const r = run('import "std/sftgo"\nparam η = 20%');
    assert.deepEqual(codes(r), []);
    const o = r.objective!;
    assert.equal(o.name, 'main');
    assert.deepEqual(o.params.map((p) => `${p.name}=${printExpr(p.value)}`), ['λ=0.9', 'η=20%']);
    assert.equal(printExpr(o.partition.groups[0]!.selector), 'tfidf(top η per sample)');
    assert.equal(lossText(r), 'λ * max(mean(ce[important]), mean(ce[rest])) + (1 - λ) * mean(ce)');
  });
  it('an importing file may replace the imported loss; a redefined group keeps its place', () => {
    const base = 'group a = tfidf(top 10%)\ngroup b = frequency(top 10%)\nloss = max(groups)\n';
    const r = run('import "./base.sftgo"\ngroup a = random(top 10%)\nloss = mean(groups)', { 'base.sftgo': base });
    assert.deepEqual(codes(r), []);
    assert.deepEqual(r.objective!.partition.groups.map((g) => `${g.name}:${printExpr(g.selector)}`), ['a:random(top 10% per sample)', 'b:frequency(top 10% per sample)']);
    assert.match(lossText(r), /^groupmean/);
  });
  it('resolves relative imports against the importing file and reads a diamond once', () => {
    const files = {
      'lib/a.sftgo': 'import "./common.sftgo"\nlet wa = w\n',
      'lib/b.sftgo': 'import "./common.sftgo"\nlet wb = w\n',
      'lib/common.sftgo': 'param w = 2\n',
    };
    const r = run('import "./lib/a.sftgo"\nimport "./lib/b.sftgo"\nloss = wa·wb·mean(ce)', files);
    assert.deepEqual(codes(r), []);
    assert.deepEqual(Object.keys(r.sources).sort(), ['lib/a.sftgo', 'lib/b.sftgo', 'lib/common.sftgo', 'main.sftgo']);
  });
  it('does not see names of a file it does not import', () => {
    const r = run('import "./a.sftgo"\nimport "./b.sftgo"\nloss = mean(ce)', { 'a.sftgo': 'let x = 1\n', 'b.sftgo': 'let y = x\n' });
    assert.deepEqual(where(r), ['E0201@1:9']);
    assert.equal(r.diagnostics[0]!.span.file, 'b.sftgo');
  });
  it('names the chain of an import cycle', () => {
    const r = run('import "./a.sftgo"\nloss = mean(ce)', { 'a.sftgo': 'import "./main.sftgo"\n' });
    assert.deepEqual(codes(r), ['E0206']);
    assert.match(r.diagnostics[0]!.message, /main\.sftgo → a\.sftgo → main\.sftgo/);
  });
  it('reports an unknown --param and a non-finite one', () => {
    assert.deepEqual(codes(run('loss = mean(ce)', {}, { nope: 1 })), ['E0209']);
    assert.deepEqual(codes(run('loss = mean(ce)', {}, { λ: Number.NaN })), ['E0209']);
  });
  it('uses the `objective` header as the name', () => {
    assert.equal(run('objective mine\nloss = mean(ce)').objective!.name, 'mine');
  });
});

describe('--param with an expression', () => {
  it('replaces a param by a schedule, checked in the main file\'s scope, and marks it overridden', () => {
    const r = run('import "std/sftgo"', {}, undefined);
    assert.deepEqual(codes(r), []);
    const s = compileWith('import "std/sftgo"', { lambda: 'linear(0.9 -> 0.05, over = 50%)', η: '20%' });
    assert.deepEqual(codes(s), []);
    assert.deepEqual(
      s.objective!.params.map((p) => `${p.name}=${printExpr(p.value)}${p.overridden ? '*' : ''}`),
      ['λ=linear(0.9 -> 0.05, over = 50%)*', 'η=20%*'],
    );
  });
  it('reports type and syntax errors against the flag, and unknown names as E0209', () => {
    const bad = compileWith('loss = λ·mean(ce)', { λ: 'sg(p)' });
    assert.deepEqual(bad.diagnostics.map((d) => `${d.code} ${d.span.file}`), ['E0311 --param λ']);
    assert.equal(bad.sources['--param λ'], 'param λ = sg(p)');
    assert.ok(codes(compileWith('loss = λ·mean(ce)', { λ: 'linear(0.9 ->' })).includes('E0110'));
    const unknown = compileWith('loss = λ·mean(ce)', { zz: '1' });
    assert.deepEqual(codes(unknown), ['E0209']);
    assert.equal(unknown.diagnostics[0]!.hint, 'params: λ');
  });
});

function compileWith(source: string, params: Record<string, number | string>) {
  return compile(source, { file: 'main.sftgo', host: memoryHost({ 'main.sftgo': source }), params });
}
