// Every examples/*.sftgo works on a fresh clone: its settings name only files the repository ships
// (the bundled model and data when it has no blocks), and it trains 2 steps through `sftgoc run`'s
// code path. The runs use the small data fixtures so the whole file stays a few seconds.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BufferOutput } from '../../src/cli/output.js';
import { compileSafeRegex } from '../../src/util/safe-regex.js';
import { compileFile } from '../../src/compile.js';
import { runFile } from '../../src/app/run.js';
import { resolveRunConfig } from '../../src/train/config.js';
import { repoRoot } from '../helpers/golden.js';
import { setFlag } from '../helpers/set-flag.js';

const examples = readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.sftgo')).sort();
const fixtures = join(repoRoot, 'test', 'e2e', 'fixtures');


describe('every example runs on a fresh clone', function () {
  this.timeout(60000);
  let dir: string;
  let previousBackend: string | undefined;
  before(async () => {
    previousBackend = tf.getBackend();
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-examples-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await tf.setBackend(previousBackend ?? 'cpu');
  });

  it('there are examples', () => assert.ok(examples.length >= 5, examples.join(', ')));

  it('regex-digits.sftgo takes numbers with the leading space a token carries (" 11", " 192")', () => {
    const selector = compileFile(join(repoRoot, 'examples', 'regex-digits.sftgo')).objective?.partition.groups[0]?.selector;
    assert.ok(selector?.op === 'regex');
    const compiled = compileSafeRegex(selector.pattern);
    assert.ok('regex' in compiled);
    for (const t of [' 11', ' 192', '11', '3.5', ' -4']) assert.ok(compiled.regex.test(t), t);
    for (const t of [' eleven', 'a1', '  11', ' 1 1']) assert.ok(!compiled.regex.test(t), t);
  });

  for (const name of examples) {
    const file = join(repoRoot, 'examples', name);
    it(`${name}: its model, tokenizer and data files exist`, () => {
      const r = compileFile(file);
      assert.ok(r.objective !== undefined, JSON.stringify(r.diagnostics));
      const { config, errors } = resolveRunConfig(r.objective.settings, { objectiveName: r.objective.name, sourceFile: file, origins: r.objective.settingSpans, packageRoot: repoRoot });
      assert.deepEqual(errors, []);
      const needed = [config.data.train, config.data.eval, config.model.path, config.model.tokenizer].filter((p): p is string => p !== undefined);
      for (const p of needed) assert.ok(existsSync(p), `${name} needs ${p}, which a fresh clone does not have`);
    });
    it(`${name}: trains 2 steps`, async () => {
      const out = new BufferOutput();
      const runDir = join(dir, name);
      const settings = [
        'train.steps=2', 'train.batch=2', 'train.eval_every=0', 'train.save_every=0', 'train.backend=wasm', 'data.max_len=96',
        `data.train=${JSON.stringify(join(fixtures, 'train-small.jsonl'))}`, `data.eval=${JSON.stringify(join(fixtures, 'eval-small.jsonl'))}`, `train.out=${JSON.stringify(runDir)}`,
      ].map(setFlag);
      const result = await runFile(file, { params: [], settings, skipBadRecords: false, quiet: true, json: true, tty: false, shouldStop: () => false }, out);
      assert.equal(result.exitCode, 0, out.stderrText);
      const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; groups: Record<string, { tokens: number }> });
      assert.deepEqual(metrics.map((m) => m.step), [1, 2]);
      if (name === 'regex-digits.sftgo') assert.ok(metrics.some((m) => (m.groups.digits?.tokens ?? 0) > 0), JSON.stringify(metrics.map((m) => m.groups)));
    });
  }
});
