import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../src/compile.js';
import { memoryHost } from '../../src/check/host.js';
import { printObjective, objectiveToJson } from '../../src/ir/print.js';
import { renderDiagnostics } from '../../src/diagnostics/render.js';
import { expectGolden, repoRoot } from '../helpers/golden.js';
import { CONSTRUCTS } from './constructs.js';

function irText(source: string, file: string): string {
  const result = compile(source, { file, host: memoryHost({ [file]: source }) });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 0, renderDiagnostics(errors, (f) => result.sources[f]));
  return printObjective(result.objective!);
}

describe('golden IR text', () => {
  for (const [name, source] of Object.entries(CONSTRUCTS)) {
    it(`construct ${name}`, () => expectGolden(`ir/constructs/${name}.ir`, irText(source, `${name}.sftgo`)));
  }
  for (const dir of ['stdlib', 'examples']) {
    for (const f of readdirSync(join(repoRoot, dir)).filter((n) => n.endsWith('.sftgo'))) {
      it(`${dir}/${f}`, () => {
        const path = `${dir}/${f}`;
        const result = compile(readFileSync(join(repoRoot, path), 'utf8'), { file: path });
        const errors = result.diagnostics.filter((d) => d.severity === 'error');
        assert.equal(errors.length, 0, renderDiagnostics(errors, (p) => result.sources[p]));
        expectGolden(`ir/${dir}/${f.replace(/\.sftgo$/, '.ir')}`, printObjective(result.objective!));
      });
    }
  }
});

describe('the card one-liner', () => {
  const source = 'group important = tfidf(top 30%); loss = λ·max(groups) + (1-λ)·ce';
  const { objective, diagnostics } = compile(source, { file: 'card.sftgo' });
  it('compiles without diagnostics', () => assert.deepEqual(diagnostics, []));
  it('reads as the paper writes it', () => {
    const loss = printObjective(objective!).split('\n').find((l) => l.startsWith('loss = '));
    assert.equal(loss, 'loss = λ * max(mean(ce[important]), mean(ce[rest])) + (1 - λ) * mean(ce)');
  });
  it('has one static group ranked per sample, then rest, and λ as a named param', () => {
    const o = objective!;
    assert.deepEqual(o.params.map((p) => [p.name, p.type, p.overridden]), [['λ', 'number', false]]);
    assert.equal(o.partition.groups.length, 1);
    const g = o.partition.groups[0]!;
    assert.equal(g.kind, 'static');
    assert.equal(g.selector.op, 'rank');
    if (g.selector.op === 'rank') {
      assert.equal(g.selector.scope, 'sample');
      assert.equal(g.selector.direction, 'top');
      assert.deepEqual(g.selector.scorer, { name: 'tfidf', kind: 'static', args: { smooth: true, sublinear: false } });
    }
    assert.equal(o.loss.type, 'scalar');
  });
  it('keeps the source spans: the max points at max(groups)', () => {
    const json = JSON.parse(objectiveToJson(objective!, { spans: true })) as { loss: { left: { right: { op: string; span: { start: { col: number }; end: { col: number } } } } } };
    const max = json.loss.left.right;
    assert.equal(max.op, 'groups');
    assert.equal(source.slice(max.span.start.col - 1, max.span.end.col - 1), 'max(groups)');
  });
  it('takes --param overrides, with Greek aliases', () => {
    const r = compile(source, { file: 'card.sftgo', params: { lambda: 0.5 } });
    const p = r.objective!.params[0]!;
    assert.equal(p.overridden, true);
    assert.equal(p.value.op === 'const' && p.value.value, 0.5);
  });
  it('JSON form without spans is stable', () => expectGolden('ir/card.json', objectiveToJson(objective!) + '\n'));
});
