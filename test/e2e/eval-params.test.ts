// `sftgoc eval RUN_DIR` evaluates with the run's own params, its --param overrides included and a
// schedule read at the run's last step, so it reproduces the run's last eval.jsonl line; --param
// on eval overrides them.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BufferOutput } from '../../src/cli/output.js';
import type { ParamOverride } from '../../src/cli/overrides.js';
import { runEval } from '../../src/app/eval-run.js';
import { runFile } from '../../src/app/run.js';
import { repoRoot } from '../helpers/golden.js';
import { setFlag } from '../helpers/set-flag.js';

const fixtures = join(repoRoot, 'test', 'e2e', 'fixtures');
const param = (name: string, text: string): ParamOverride => ({ name, text, flag: `${name}=${text}` });

describe('sftgoc eval RUN_DIR uses the run\'s params', function () {
  this.timeout(60000);
  let dir: string;
  let previousBackend: string | undefined;
  before(async () => {
    previousBackend = tf.getBackend();
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-eval-params-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await tf.setBackend(previousBackend ?? 'cpu');
  });

  it('a run with --param λ=linear(0.9 -> 0.1): eval reproduces its last held-out loss; eval --param λ=0.9 does not', async () => {
    const runDir = join(dir, 'run');
    const settings = [
      'train.steps=3', 'train.batch=2', 'train.eval_every=0', 'train.save_every=0', 'train.backend=wasm', 'data.max_len=64',
      `data.train=${JSON.stringify(join(fixtures, 'train-small.jsonl'))}`, `data.eval=${JSON.stringify(join(fixtures, 'eval-small.jsonl'))}`, `train.out=${JSON.stringify(runDir)}`,
    ].map(setFlag);
    const out = new BufferOutput();
    const result = await runFile(join(repoRoot, 'stdlib', 'sftgo.sftgo'), { params: [param('λ', 'linear(0.9 -> 0.1)')], settings, skipBadRecords: false, quiet: true, json: true, tty: false, shouldStop: () => false }, out);
    assert.equal(result.exitCode, 0, out.stderrText);
    const last = (await readFile(join(runDir, 'eval.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { loss: number; ce: number }).at(-1)!;

    const evaluate = async (params: ParamOverride[]) => {
      const o = new BufferOutput();
      assert.equal(await runEval({ runDir, params, backend: 'wasm', skipBadRecords: false, json: true, quiet: true }, o), 0, o.stderrText);
      return JSON.parse(o.stdoutText) as { loss: number; ce: number };
    };
    const same = await evaluate([]);
    assert.ok(Math.abs(same.loss - last.loss) <= 1e-4 * Math.abs(last.loss), `eval ${same.loss} vs run ${last.loss}`);
    const other = await evaluate([param('λ', '0.9')]);
    assert.ok(Math.abs(other.loss - last.loss) > 1e-3, `λ=0.9 gave the run's loss ${other.loss}`);
    assert.ok(Math.abs(other.ce - same.ce) < 1e-6 * same.ce, 'ce does not depend on λ');
  });
});
