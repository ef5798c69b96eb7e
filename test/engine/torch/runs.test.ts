// Acceptance of the torch engine end to end, through `sftgoc run`'s code path (runFile) on the bundled
// base model and the first records of the bundled data (32 training, 6 eval samples), kept short
// for CI:
//   - per-step losses of --engine torch equal the tfjs engine's from the same initial weights and
//     batches within 1e-3 relative: quickstart 10 steps, std/sftgo 5 steps, std/rho1 3 steps;
//   - --nproc 2 (torchrun, gloo, the micro-batches of each update dealt to two processes) equals one
//     process within 1e-4 relative and writes one final/;
//   - a stop after step 2 saves a checkpoint and exits 130; --resume continues with the same losses;
//   - the torch run's final/ loads in the tfjs engine (`sftgoc eval`) with the held-out ce of the run.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BufferOutput } from '../../../src/cli/output.js';
import { runEval } from '../../../src/app/eval-run.js';
import { runFile, type RunFileOptions } from '../../../src/app/run.js';
import { repoRoot } from '../../helpers/golden.js';
import { requireTorch } from './helpers.js';
import { setFlag } from '../../helpers/set-flag.js';

const fixtures = join(repoRoot, 'test', 'e2e', 'fixtures');
const model = join(repoRoot, 'assets', 'default', 'model');


interface Line { step: number; loss: number; ce: number; groups: Record<string, { loss: number; tokens: number }> }

async function lines(file: string): Promise<Line[]> {
  return (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Line);
}

function closeRel(a: number, b: number, rel: number, what: string): void {
  assert.ok(Math.abs(a - b) <= rel * Math.abs(b), `${what}: ${a} vs ${b} (relative ${Math.abs(a - b) / Math.abs(b)})`);
}

describe('torch engine: runs against the tfjs engine', function () {
  this.timeout(300_000);
  let dir: string;
  let python = '';
  let previousBackend: string | undefined;
  before(async function () {
    python = requireTorch(this).python;
    previousBackend = tf.getBackend();
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-torch-runs-'));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    if (previousBackend !== undefined) await tf.setBackend(previousBackend);
  });

  async function run(file: string, name: string, flags: string[], extra: Partial<RunFileOptions> = {}): Promise<{ code: number; runDir: string; stderr: string }> {
    const runDir = join(dir, name);
    const settings = [
      'train.batch=2', 'train.save_every=0', 'train.backend=wasm', 'data.max_len=96',
      `data.train=${JSON.stringify(join(fixtures, 'train-small.jsonl'))}`, `data.eval=${JSON.stringify(join(fixtures, 'eval-small.jsonl'))}`,
      ...flags, `train.out=${JSON.stringify(runDir)}`,
    ].map(setFlag);
    const out = new BufferOutput();
    const result = await runFile(join(repoRoot, file), {
      params: [], settings, skipBadRecords: false, quiet: true, json: true, tty: false, shouldStop: () => false, ...extra,
    }, out);
    return { code: result.exitCode, runDir, stderr: out.stderrText };
  }

  const torch = (nproc = 1): Partial<RunFileOptions> => ({ engine: 'torch', engineOptions: { python, nproc, device: 'cpu' } });

  // Rho-1 ranks tokens by ce − ref_ce. With the initial model as its own reference every excess is
  // float noise (~1e-6) and the choice would be a coin toss between engines; the quickstart's tfjs
  // final/ (10 steps further) is a reference whose excess losses are real.
  let trainedReference = model;
  const parity: Array<{ file: string; steps: number; flags?: () => string[] }> = [
    { file: 'examples/quickstart.sftgo', steps: 10 },
    { file: 'stdlib/sftgo.sftgo', steps: 5 },
    { file: 'stdlib/rho1.sftgo', steps: 3, flags: () => [`reference.path=${JSON.stringify(trainedReference)}`] },
  ];
  for (const c of parity) {
    it(`${c.file}: ${c.steps} steps, per-step losses within 1e-3 of the tfjs engine's`, async () => {
      const flags = [`train.steps=${c.steps}`, `train.eval_every=${c.steps}`, ...(c.flags?.() ?? [])];
      const name = c.file.replace(/[/.]/g, '_');
      const t = await run(c.file, `${name}-tfjs`, flags);
      assert.equal(t.code, 0, t.stderr);
      if (c.file === 'examples/quickstart.sftgo') trainedReference = join(t.runDir, 'final');
      const p = await run(c.file, `${name}-torch`, flags, torch());
      assert.equal(p.code, 0, p.stderr);
      const [a, b] = [await lines(join(p.runDir, 'metrics.jsonl')), await lines(join(t.runDir, 'metrics.jsonl'))];
      assert.equal(a.length, c.steps);
      assert.equal(b.length, c.steps);
      a.forEach((m, i) => {
        closeRel(m.loss, b[i]!.loss, 1e-3, `step ${m.step} loss`);
        closeRel(m.ce, b[i]!.ce, 1e-3, `step ${m.step} ce`);
        assert.deepEqual(Object.keys(m.groups), Object.keys(b[i]!.groups));
        for (const g of Object.keys(m.groups)) assert.equal(m.groups[g]!.tokens, b[i]!.groups[g]!.tokens, `step ${m.step} group ${g}`);
      });
      const [ea, eb] = [await lines(join(p.runDir, 'eval.jsonl')), await lines(join(t.runDir, 'eval.jsonl'))];
      assert.deepEqual(ea.map((e) => e.step), eb.map((e) => e.step));
      ea.forEach((e, i) => closeRel(e.ce, eb[i]!.ce, 1e-3, `eval step ${e.step} ce`));
      const config = JSON.parse(await readFile(join(p.runDir, 'config.json'), 'utf8')) as { engine: { name: string; torch: string; device: string; world_size: number } };
      assert.equal(config.engine.name, 'torch');
      assert.equal(config.engine.device, 'cpu');
      assert.equal(config.engine.world_size, 1);
      assert.ok(config.engine.torch.length > 0);
    });
  }

  it('train.precision = "bf16": the trunk under torch.autocast, per-step losses within 5e-3 of float32 and not equal to them', async () => {
    const flags = ['train.steps=4', 'train.eval_every=4'];
    const f = await run('examples/quickstart.sftgo', 'bf16-fp32', flags, torch());
    assert.equal(f.code, 0, f.stderr);
    const b = await run('examples/quickstart.sftgo', 'bf16-bf16', [...flags, 'train.precision="bf16"'], torch());
    assert.equal(b.code, 0, b.stderr);
    const [lf, lb] = [await lines(join(f.runDir, 'metrics.jsonl')), await lines(join(b.runDir, 'metrics.jsonl'))];
    assert.equal(lb.length, 4);
    lb.forEach((m, i) => closeRel(m.loss, lf[i]!.loss, 5e-3, `step ${m.step} loss`));
    assert.ok(lb.some((m, i) => m.loss !== lf[i]!.loss), 'bf16 products change the last digits');
    const config = JSON.parse(await readFile(join(b.runDir, 'config.json'), 'utf8')) as { train: { precision?: string } };
    assert.equal(config.train.precision, 'bf16');
  });

  it('--nproc 2 equals one process within 1e-4 and writes one final/; a stop then --resume continues with the same losses; final/ loads in tfjs eval', async () => {
    const flags = ['train.steps=4', 'train.grad_accum=2', 'train.eval_every=0', 'train.save_every=0'];
    const one = await run('stdlib/sftgo.sftgo', 'one', flags, torch(1));
    assert.equal(one.code, 0, one.stderr);
    const two = await run('stdlib/sftgo.sftgo', 'two', flags, torch(2));
    assert.equal(two.code, 0, two.stderr);
    const [a, b] = [await lines(join(two.runDir, 'metrics.jsonl')), await lines(join(one.runDir, 'metrics.jsonl'))];
    assert.equal(a.length, 4);
    a.forEach((m, i) => {
      closeRel(m.loss, b[i]!.loss, 1e-4, `2 processes, step ${m.step} loss`);
      for (const g of Object.keys(m.groups)) assert.equal(m.groups[g]!.tokens, b[i]!.groups[g]!.tokens);
    });
    assert.deepEqual((await readdir(two.runDir)).filter((f) => f.startsWith('final')), ['final']);
    assert.ok(existsSync(join(two.runDir, 'final', 'model.safetensors')));
    const config = JSON.parse(await readFile(join(two.runDir, 'config.json'), 'utf8')) as { engine: { world_size: number } };
    assert.equal(config.engine.world_size, 2);

    // Asked to stop after step 2: the child sees the request after step 2 or, when the request
    // arrives while it already computes step 3, after step 3 (as a Ctrl-C would); it saves a
    // checkpoint there and exits 130. --resume finishes with the uninterrupted losses.
    const stopped = await run('stdlib/sftgo.sftgo', 'stopped', flags, { ...torch(1), shouldStop: (step) => step >= 2 });
    assert.equal(stopped.code, 130, stopped.stderr);
    const saved = (await readdir(join(stopped.runDir, 'checkpoints'))).map((d) => Number(/^step-(\d+)$/.exec(d)![1]));
    assert.equal(saved.length, 1);
    assert.ok(saved[0] === 2 || saved[0] === 3, String(saved));
    assert.ok(existsSync(join(stopped.runDir, 'checkpoints', `step-${saved[0]}`, 'state.json')));
    assert.equal((await lines(join(stopped.runDir, 'metrics.jsonl'))).length, saved[0]);
    const resumed = await run('stdlib/sftgo.sftgo', 'stopped', flags, { ...torch(1), resume: stopped.runDir });
    assert.equal(resumed.code, 0, resumed.stderr);
    const c = await lines(join(stopped.runDir, 'metrics.jsonl'));
    assert.deepEqual(c.map((m) => m.step), [1, 2, 3, 4]);
    c.forEach((m, i) => closeRel(m.loss, b[i]!.loss, 1e-5, `resumed, step ${m.step} loss`));

    // The torch run's final/ in the tfjs engine: `sftgoc eval` gives the run's held-out ce.
    const last = (await lines(join(one.runDir, 'eval.jsonl'))).at(-1)!;
    assert.equal(last.step, 4);
    const evalOut = new BufferOutput();
    assert.equal(await runEval({ runDir: one.runDir, backend: 'wasm', skipBadRecords: false, json: true, quiet: true }, evalOut), 0, evalOut.stderrText);
    const report = JSON.parse(evalOut.stdoutText) as { ce: number };
    closeRel(report.ce, last.ce, 1e-4, 'held-out ce of final/ in tfjs');
  });
});
