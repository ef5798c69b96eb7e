import assert from 'node:assert/strict';
import type { Sample } from '../../src/data/types.js';
import { DEFAULTS, parsePretrainArgs } from '../../scripts/pretrain/args.js';
import { splitHoldout } from '../../scripts/pretrain/holdout.js';

describe('scripts/pretrain options and held-out split', () => {
  it('parses every option and keeps the defaults otherwise', () => {
    const { args, errors } = parsePretrainArgs(['--steps', '300', '--lr', '0.002', '--out', '/tmp/m', '--minutes', '5'], '/default');
    assert.deepEqual(errors, []);
    assert.deepEqual(args, { ...DEFAULTS, steps: 300, lr: 0.002, out: '/tmp/m', minutes: 5, minutesGiven: true });
    assert.equal(parsePretrainArgs([], '/d').args.minutesGiven, false);
  });

  it('names every bad flag at once', () => {
    const { errors } = parsePretrainArgs(['--stepz', '3', '--batch', '0', '--steps', '1.5', '--minutes'], '/d');
    assert.equal(errors.length, 4);
    assert.match(errors[0]!, /unknown option '--stepz'/);
    assert.match(errors.join('\n'), /--batch: expected an integer ≥ 1, got "0"/);
    assert.match(errors.join('\n'), /--steps: expected an integer ≥ 0, got "1.5"/);
    assert.match(errors.join('\n'), /--minutes: expected a number ≥ 0.05, got nothing/);
  });

  it('holds out every n-th block, drops blocks without a loss token, and loses nothing else', () => {
    const block = (index: number, length: number) => ({ index, ids: Array.from({ length }, () => 1) }) as unknown as Sample;
    const blocks = [...Array.from({ length: 10 }, (_, i) => block(i, 4)), block(10, 1)];
    const { train, heldOut } = splitHoldout(blocks, 5);
    assert.deepEqual(heldOut.map((b) => b.index), [4, 9]);
    assert.deepEqual(train.map((b) => b.index), [0, 1, 2, 3, 5, 6, 7, 8]);
  });
});
