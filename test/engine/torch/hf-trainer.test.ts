// make_compute_loss_func (sftgoc_hf.py) under a Trainer-shaped loop (eval_hf_trainer.py copies the
// scaling lines of transformers' Trainer: the token count, compute_loss's multiplication by the
// number of processes, training_step's missing division by gradient accumulation; DDP's average):
// at accumulation 1 and 4, 1 and 2 processes, with and without average_tokens_across_devices and
// with tensor, countable (LabelDict) and uncountable dict labels, the update's gradient equals the
// one built from sftgoc's own engine's per-micro-batch gradients by docs/scale-out.md's rule, and for
// SFT it equals transformers' default causal-LM loss.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileStages } from '../../../src/cli/compiler-bridge.js';
import { runCompile } from '../../../src/cli/compile-file.js';
import { BufferOutput } from '../../../src/cli/output.js';
import { repoRoot } from '../../helpers/golden.js';
import { requireTorch } from './helpers.js';

interface Case {
  objective: 'card' | 'sft';
  accum: number;
  world: number;
  labels: string;
  average_tokens_across_devices: boolean;
  grad_rel: number;
  logged?: number;
  want_logged?: number | null;
  engine_mean_rel?: number;
  engine_single?: number | null;
}

describe('sftgoc_hf.make_compute_loss_func in a Trainer-shaped loop', function () {
  this.timeout(120_000);
  let dir: string;
  let cases: Case[] = [];
  before(async function () {
    const python = requireTorch(this).python;
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-hf-trainer-'));
    for (const [name, file] of [['card', 'examples/card.sftgo'], ['sft', 'stdlib/sft.sftgo']] as const) {
      const out = new BufferOutput();
      const code = await runCompile(file, { emit: 'torch', json: false, quiet: true, overrides: { params: [], settings: [] }, out: join(dir, name) }, compileStages, out);
      assert.equal(code, 0, out.stderrText);
    }
    const r = spawnSync(python, [join(repoRoot, 'test', 'engine', 'torch', 'eval_hf_trainer.py'), join(dir, 'card'), join(dir, 'sft'), join(repoRoot, 'assets', 'default', 'model')], { encoding: 'utf8', timeout: 110_000 });
    assert.equal(r.status, 0, r.stderr);
    cases = JSON.parse(r.stdout) as Case[];
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const name = (c: Case) => `${c.objective}, accumulation ${c.accum}, ${c.world} process(es), ${c.labels} labels, average_tokens_across_devices ${c.average_tokens_across_devices}`;

  it('covers accumulation 1 and 4, 1 and 2 processes, each kind of labels', () => {
    for (const accum of [1, 4]) {
      for (const world of [1, 2]) {
        for (const labels of ['LabelDict', 'dict']) assert.ok(cases.some((c) => c.objective === 'card' && c.accum === accum && c.world === world && c.labels === labels), `${accum} ${world} ${labels}`);
        assert.ok(cases.some((c) => c.objective === 'sft' && c.accum === accum && c.world === world));
      }
    }
  });

  it("the update's gradient is the engine's micro-batch gradients combined by the rule (1e-5 of the largest entry)", () => {
    for (const c of cases.filter((x) => x.objective === 'card')) assert.ok(c.grad_rel <= 1e-5, `${name(c)}: ${c.grad_rel}`);
  });

  it("the Trainer's logged loss is the engine's micro-batch values combined by the same rule", () => {
    for (const c of cases.filter((x) => x.objective === 'card' && typeof x.want_logged === 'number')) {
      assert.ok(Math.abs(c.logged! - c.want_logged!) <= 1e-5 * Math.abs(c.want_logged!), `${name(c)}: logged ${c.logged}, expected ${c.want_logged}`);
    }
  });

  it('labels the Trainer cannot count give exactly the mean over micro-batches and processes, as sftgoc trains', () => {
    for (const c of cases.filter((x) => x.labels === 'dict')) assert.ok(c.engine_mean_rel! <= 1e-5, `${name(c)}: ${c.engine_mean_rel}`);
    // With counted tokens the micro-batches weigh by their tokens; these micro-batches differ in tokens, so that is not the plain mean.
    assert.ok(cases.some((c) => c.labels === 'LabelDict' && c.accum === 4 && c.engine_mean_rel! > 1e-3));
  });

  it("SFT: the same gradient as transformers' default causal-LM loss, and one micro-batch's is the engine's", () => {
    for (const c of cases.filter((x) => x.objective === 'sft')) assert.ok(c.grad_rel <= 1e-6, `${name(c)}: ${c.grad_rel}`);
    const single = cases.filter((c) => c.objective === 'sft' && typeof c.engine_single === 'number');
    assert.ok(single.length > 0);
    for (const c of single) assert.ok(c.engine_single! <= 1e-6, `${name(c)}: ${c.engine_single}`);
  });
});
