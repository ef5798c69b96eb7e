import { strict as assert } from 'node:assert';
import { compile } from '../../src/compile.js';
import { memoryHost } from '../../src/check/host.js';
import { foldExpr, foldObjective } from '../../src/ir/fold.js';
import { cseObjective } from '../../src/ir/cse.js';
import { verifyObjective } from '../../src/ir/verify.js';
import { printExpr, printObjective } from '../../src/ir/print.js';
import type { IrExpr, Objective } from '../../src/ir/nodes.js';
import { walk } from '../../src/ir/walk.js';
import { fileSpan } from '../../src/diagnostics/span.js';
import { CONSTRUCTS } from './constructs.js';

function lowered(source: string): Objective {
  const r = compile(source, { file: 'x.sftgo', optimize: false, host: memoryHost({}) });
  assert.ok(r.objective, JSON.stringify(r.diagnostics));
  return r.objective;
}

const span = fileSpan('t.sftgo');
const num = (value: number): IrExpr => ({ op: 'const', type: 'number', value, span });
const ce: IrExpr = { op: 'token', type: 'tokens', name: 'ce', span };

describe('IR passes keep the IR well-typed', () => {
  for (const [name, source] of Object.entries(CONSTRUCTS)) {
    it(`${name}: verifier passes after lowering, folding and CSE`, () => {
      const o = lowered(source);
      assert.deepEqual(verifyObjective(o), [], 'after lowering');
      const folded = foldObjective(o);
      assert.deepEqual(verifyObjective(folded), [], 'after fold');
      const { objective } = cseObjective(folded);
      assert.deepEqual(verifyObjective(objective), [], 'after cse');
      // CSE changes sharing, never meaning: the printed form is identical.
      assert.equal(printObjective(objective), printObjective(folded));
    });
  }
});

describe('constant folding', () => {
  it('evaluates arithmetic on numbers', () => {
    const e: IrExpr = { op: 'binary', fn: 'sub', type: 'number', left: { op: 'binary', fn: 'mul', type: 'number', left: num(2), right: num(3), span }, right: num(5), span };
    assert.deepEqual(foldExpr(e), num(1));
  });
  it('applies x·1, 1·x, x+0, x−0, x/1 without changing the type', () => {
    const o = foldObjective(lowered(CONSTRUCTS['constant-folding']!));
    assert.equal(printExpr(o.loss), 'mean(ce) + mean(ce)');
    assert.deepEqual(verifyObjective(o), []);
  });
  it('folds unary functions and clip of constants', () => {
    assert.equal(printExpr(foldExpr({ op: 'unary', fn: 'exp', type: 'number', arg: num(0), span })), '1');
    assert.equal(printExpr(foldExpr({ op: 'clip', type: 'number', arg: num(5), lo: num(0), hi: num(1), span })), '1');
  });
  it('keeps x·0 (it would hide NaN) and never folds params', () => {
    const zero: IrExpr = { op: 'binary', fn: 'mul', type: 'tokens', left: num(0), right: ce, span };
    assert.equal(printExpr(foldExpr(zero)), '0 * ce');
    const o = foldObjective(lowered('param w = 2\nloss = w·3·mean(ce)'));
    assert.equal(printExpr(o.loss), 'w * 3 * mean(ce)');
  });
  it('does not replace 1·λ where λ is a number by something of another type', () => {
    const e: IrExpr = { op: 'binary', fn: 'mul', type: 'tokens', left: num(1), right: ce, span };
    assert.equal(foldExpr(e), ce);
    const scalarTimesOne: IrExpr = { op: 'binary', fn: 'mul', type: 'scalar', left: num(1), right: num(2), span };
    assert.equal(foldExpr(scalarTimesOne).op, 'const');
  });
});

describe('common-subexpression elimination', () => {
  it('shares the three mean(ce) of a loss as one node', () => {
    const { objective, merged } = cseObjective(lowered('loss = mean(ce) + 2·mean(ce) + max(mean(ce), 1)'));
    const means = new Set<IrExpr>();
    walk(objective.loss, (n) => {
      if (n.op === 'mean') means.add(n);
    });
    assert.equal(means.size, 1);
    assert.ok(merged >= 2);
  });
  it('shares the per-group `of` expression across group terms', () => {
    const { objective } = cseObjective(lowered('group g = tfidf(top 30%)\nloss = max(groups, of = sg(p)·ce)'));
    assert.ok(objective.loss.op === 'groups');
    if (objective.loss.op === 'groups') assert.equal(objective.loss.terms[0]!.arg, objective.loss.terms[1]!.arg);
  });
  it('keeps different scorer arguments apart', () => {
    const { objective } = cseObjective(lowered('group a = tfidf(top 30%)\ngroup b = tfidf(sublinear = true, top 30%)\nloss = max(groups)'));
    const [a, b] = objective.partition.groups;
    assert.notEqual(a!.selector, b!.selector);
  });
});

describe('the verifier finds broken IR', () => {
  const base = () => lowered('group g = tfidf(top 30%)\nloss = λ·max(groups) + (1-λ)·ce');
  it('a wrong node type', () => {
    const o = base();
    const bad: Objective = { ...o, loss: { ...o.loss, type: 'tokens' } as IrExpr };
    assert.ok(verifyObjective(bad).some((p) => p.includes('expected scalar')));
  });
  it('a reference to an unknown group or param', () => {
    const o = base();
    const bad: Objective = { ...o, loss: { op: 'mean', type: 'scalar', arg: ce, mask: { op: 'group', type: 'mask', name: 'nope', span }, span } };
    assert.ok(verifyObjective(bad).some((p) => p.includes('unknown group nope')));
    const noParams: Objective = { ...o, params: [] };
    assert.ok(verifyObjective(noParams).some((p) => p.includes('unknown param λ')));
  });
  it('group terms out of partition order', () => {
    const o = base();
    assert.ok(o.loss.op === 'binary' && o.loss.left.op === 'binary' && o.loss.left.right.op === 'groups');
    if (o.loss.op === 'binary' && o.loss.left.op === 'binary' && o.loss.left.right.op === 'groups') {
      o.loss.left.right.terms.reverse();
      assert.ok(verifyObjective(o).some((p) => p.includes('term 0')));
    }
  });
  it('a rank fraction outside [0, 1]', () => {
    const o = base();
    const g = o.partition.groups[0]!;
    if (g.selector.op === 'rank') g.selector.amount = num(1.5);
    assert.ok(verifyObjective(o).some((p) => p.includes('outside [0, 1]')));
  });
});
