// `sftgoc compile --emit torch --out DIR`: the generated program for examples/card.sftgo is a golden
// file (objective.py; the runtime files are copied verbatim), the command writes every file and
// refuses a missing --out, and the emitted compute_loss_func (sftgoc_hf.py) on Hugging Face-style
// logits and labels gives the reference evaluator's loss on the ce it implies.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileStages } from '../../../src/cli/compiler-bridge.js';
import { runCompile } from '../../../src/cli/compile-file.js';
import { BufferOutput } from '../../../src/cli/output.js';
import { compileFile } from '../../../src/compile.js';
import { evaluateObjective } from '../../../src/ir/reference-eval.js';
import { expectGolden, repoRoot } from '../../helpers/golden.js';
import { requireTorch } from './helpers.js';

const none = { params: [], settings: [] };

describe('compile --emit torch', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-emit-torch-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the program for examples/card.sftgo (golden objective.py) and lists its files', async () => {
    const out = new BufferOutput();
    const code = await runCompile('examples/card.sftgo', { emit: 'torch', json: false, quiet: true, overrides: none, out: join(dir, 'card') }, compileStages, out);
    assert.equal(code, 0, out.stderrText);
    assert.deepEqual(readdirSync(join(dir, 'card')).sort(), ['README.md', 'objective.py', 'sftgoc_dist.py', 'sftgoc_generate.py', 'sftgoc_hf.py', 'sftgoc_model.py', 'sftgoc_onpolicy.py', 'sftgoc_rt.py', 'sftgoc_train.py']);
    expectGolden('torch/card.objective.py', readFileSync(join(dir, 'card', 'objective.py'), 'utf8'));
    assert.match(out.stdoutText, /objective card, groups important, rest/);
  });

  it('without --out is a usage error', async () => {
    const out = new BufferOutput();
    assert.equal(await runCompile('examples/card.sftgo', { emit: 'torch', json: false, quiet: true, overrides: none }, compileStages, out), 2);
    assert.match(out.stderrText, /--out DIR/);
  });

  it('the chunked head (ce with and without the entropy; recomputed in the backward, or kept for one chunk) equals full logits with autograd, values and gradients', function () {
    const python = requireTorch(this).python;
    const r = spawnSync(python, [join(repoRoot, 'test', 'engine', 'torch', 'eval_head.py'), join(dir, 'card')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const worst = JSON.parse(r.stdout) as { value: number; grad: number };
    assert.ok(worst.value < 1e-12 && worst.grad < 1e-12, JSON.stringify(worst));
  });

  it("compute_loss_func on Hugging Face logits and labels equals the reference evaluator on the ce they imply", function () {
    const python = requireTorch(this).python;
    const programDir = join(dir, 'card');
    const r = spawnSync(python, [join(repoRoot, 'test', 'engine', 'torch', 'eval_hf_loss.py'), programDir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const got = JSON.parse(r.stdout) as { loss: number; ce: number[]; sampleOf: number[]; key: string; scores: number[]; gradFinite: boolean };
    const o = compileFile(join(repoRoot, 'examples', 'card.sftgo')).objective!;
    const ref = evaluateObjective(o, { ce: got.ce, sampleOf: got.sampleOf, scores: { [got.key]: got.scores } });
    assert.ok(Math.abs(got.loss - ref.loss) <= 1e-5 + 1e-4 * Math.abs(ref.loss), `${got.loss} vs ${ref.loss}`);
    assert.ok(got.gradFinite);
    assert.equal(got.ce.length, 7);
  });
});
