import { strict as assert } from 'node:assert';
import { parseOverrides } from '../../src/cli/overrides.js';

describe('cli: --param and --set', () => {
  it('splits NAME=VALUE at the first = and folds Greek aliases', () => {
    const r = parseOverrides(['lambda=0.5', 'η=20%', 'sched=linear(0.9 -> 0.05, over = 50%)'], []);
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.deepEqual(
      r.overrides.params.map((p) => [p.name, p.text]),
      [
        ['λ', '0.5'],
        ['η', '20%'],
        ['sched', 'linear(0.9 -> 0.05, over = 50%)'],
      ],
    );
  });

  it('parses block.key=VALUE', () => {
    const r = parseOverrides([], ['train.lr=1e-4', 'data.train=my data.jsonl']);
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.deepEqual(
      r.overrides.settings.map((s) => [s.block, s.key, s.text]),
      [
        ['train', 'lr', '1e-4'],
        ['data', 'train', 'my data.jsonl'],
      ],
    );
  });

  it('reports every malformed flag, quoting it', () => {
    const r = parseOverrides(['noequals', '=3', '1x=2', 'a='], ['lr=1', 'train.lr', 'trian.lr=1', 'train.a.b=1']);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.errors.length, 8);
    assert.match(r.errors[0]!, /--param "noequals": expected NAME=VALUE/);
    assert.match(r.errors[4]!, /--set "lr=1": expected BLOCK\.KEY=VALUE/);
    assert.match(r.errors[6]!, /unknown block 'trian'; the blocks are model, reference, sample, data, train/);
  });

  it('rejects the same param given twice, aliases included', () => {
    const r = parseOverrides(['λ=0.5', 'lambda=0.6'], []);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.errors[0]!, /λ is already set by --param "λ=0.5"/);
  });
});
