// The reference model of ref_ce / excess / excess_loss(): `eval --objective` reads the objective's
// reference { path } (and --set reference.path) instead of silently using the bundled model, and
// a reference whose tokenizer does not give the policy's ids is refused (exit 1, naming both
// directories) by run, eval and groups before anything is computed.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BufferOutput } from '../../src/cli/output.js';
import { runGroups } from '../../src/app/groups.js';
import { createModel, presetConfig, saveModel } from '../../src/model/index.js';
import { runEval, type EvalOptions } from '../../src/app/eval-run.js';
import { runFile } from '../../src/app/run.js';
import { repoRoot } from '../helpers/golden.js';

const BUNDLED_MODEL = join(repoRoot, 'assets', 'default', 'model');
const BUNDLED_TOKENIZER = join(repoRoot, 'assets', 'default', 'tokenizer');
const WORDLEVEL_TOKENIZER = join(repoRoot, 'test', 'tokenizer', 'fixtures', 'wordlevel');

/** A freshly initialised tiny gpt2 saved with the tokenizer files of `tokenizerDir`. */
async function savedModel(dir: string, tokenizerDir: string, vocabSize: number, seed: number): Promise<void> {
  const model = createModel(presetConfig('tiny', { vocabSize })!, seed);
  await saveModel(model, dir);
  model.dispose();
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json']) {
    try {
      copyFileSync(join(tokenizerDir, f), join(dir, f));
    } catch {
      // special_tokens_map.json is optional
    }
  }
}

describe('reference model: eval --objective reads it; a mismatched tokenizer is refused', function () {
  this.timeout(120_000);
  let dir: string;
  let data: string;
  let ref: string;
  let bad: string;
  const evalBase: EvalOptions = { backend: 'wasm', skipBadRecords: false, json: true, quiet: true };
  const jsonOf = (out: BufferOutput) => JSON.parse(out.stdoutText) as { loss: number; ce: number; errors?: string[] };

  before(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-reference-'));
    data = join(dir, 'eval.jsonl');
    const lines = readFileSync(join(repoRoot, 'assets', 'default', 'data', 'eval.jsonl'), 'utf8').trim().split('\n').slice(0, 4);
    writeFileSync(data, lines.join('\n') + '\n');
    ref = join(dir, 'ref');
    mkdirSync(ref);
    await savedModel(ref, BUNDLED_TOKENIZER, 2048, 7);
    bad = join(dir, 'bad');
    mkdirSync(bad);
    await savedModel(bad, WORDLEVEL_TOKENIZER, 6, 7);
    writeFileSync(join(dir, 'with-ref.sftgo'), 'reference { path = "ref" }\nloss = mean(ref_ce)\n');
    writeFileSync(join(dir, 'no-ref.sftgo'), 'loss = mean(ref_ce)\n');
    writeFileSync(join(dir, 'bad-ref.sftgo'), 'reference { path = "bad" }\ngroup important = excess_loss(top 30%)\nloss = λ·max(groups) + (1-λ)·ce\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('eval --model M --objective X: mean(ref_ce) is the ce of X\'s reference { path }, not of the bundled model', async () => {
    // Independently: the reference's own token-mean ce on the same data is mean(ref_ce).
    const refOwn = new BufferOutput();
    assert.equal(await runEval({ ...evalBase, model: ref, data }, refOwn), 0, refOwn.stderrText);
    const bundledOwn = new BufferOutput();
    assert.equal(await runEval({ ...evalBase, model: BUNDLED_MODEL, data }, bundledOwn), 0, bundledOwn.stderrText);
    const want = jsonOf(refOwn).ce;
    assert.ok(Math.abs(want - jsonOf(bundledOwn).ce) > 0.5, 'the two references differ enough for the test to tell them apart');

    const out = new BufferOutput();
    assert.equal(await runEval({ ...evalBase, model: BUNDLED_MODEL, data, objective: join(dir, 'with-ref.sftgo') }, out), 0, out.stderrText);
    assert.ok(Math.abs(jsonOf(out).loss - want) < 1e-4, `loss ${jsonOf(out).loss} vs the reference's ce ${want}`);

    // --set reference.path gives the same reference to a file that names none.
    const set = new BufferOutput();
    const settings = [{ block: 'reference' as const, key: 'path', text: JSON.stringify(ref), flag: `reference.path=${ref}` }];
    assert.equal(await runEval({ ...evalBase, model: BUNDLED_MODEL, data, objective: join(dir, 'no-ref.sftgo'), settings }, set), 0, set.stderrText);
    assert.ok(Math.abs(jsonOf(set).loss - want) < 1e-4, `--set: loss ${jsonOf(set).loss} vs ${want}`);
  });

  it('a reference with another tokenizer: exit 1 naming both directories, in eval, groups and run', async () => {
    const named = (text: string) => {
      assert.match(text, new RegExp(`reference model ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(text, /assets\/default\/(model|tokenizer)/);
      assert.match(text, /vocabularies of 6 and 2048 ids/);
    };
    const e = new BufferOutput();
    assert.equal(await runEval({ ...evalBase, model: BUNDLED_MODEL, data, objective: join(dir, 'bad-ref.sftgo') }, e), 1);
    named(e.stderrText);

    const g = new BufferOutput();
    assert.equal(await runGroups(join(dir, 'bad-ref.sftgo'), { params: [], settings: [], data, model: BUNDLED_MODEL, limit: 1, format: 'jsonl', skipBadRecords: false, quiet: true, colour: false }, g), 1);
    named(g.stderrText);

    const r = new BufferOutput();
    const settings = [
      { block: 'data' as const, key: 'train', text: JSON.stringify(data), flag: 'data.train' },
      { block: 'train' as const, key: 'out', text: JSON.stringify(join(dir, 'run')), flag: 'train.out' },
      { block: 'train' as const, key: 'steps', text: '1', flag: 'train.steps' },
      { block: 'train' as const, key: 'backend', text: '"wasm"', flag: 'train.backend' },
    ];
    const result = await runFile(join(dir, 'bad-ref.sftgo'), { params: [], settings, skipBadRecords: false, quiet: true, json: false, tty: false }, r);
    assert.equal(result.exitCode, 1);
    named(r.stderrText);
  });
});
