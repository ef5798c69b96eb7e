import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { collate } from '../../src/data/batch.js';
import { AdamW } from '../../src/train/adamw.js';
import { latestCheckpoint } from '../../src/train/checkpoint.js';
import { maskedMean, meanCe, plainTokenCe, type StepObjective } from '../../src/train/objective.js';
import { RunDirectory } from '../../src/train/run-dir.js';
import { trainStep } from '../../src/train/step.js';
import { train, type TrainSettingsUsed } from '../../src/train/trainer.js';
import { tinyLm, tinySamples } from './helpers/tiny-lm.js';

const settings: TrainSettingsUsed = {
  epochs: 2, steps: 0, batch: 4, gradAccum: 1, lr: 0.05, lrSchedule: { kind: 'cosine', warmup: 0.2 },
  weightDecay: 0.05, eps: 1e-8, betas: [0.9, 0.999], clipGrad: 1, seed: 3, evalEvery: 0, saveEvery: 0,
};

async function weights(model: ReturnType<typeof tinyLm>): Promise<number[]> {
  const out: number[] = [];
  for (const v of model.params.values()) out.push(...(await v.data()));
  return out;
}

describe('trainer', function () {
  this.timeout(20000);
  let dir: string;
  before(async () => {
    await tf.setBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-train-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gradient accumulation over 2 micro-batches of 2 equals one batch of 4 (equal token counts)', async () => {
    // Equal lengths give every micro-batch the same number of loss tokens, where the mean of
    // micro-batch means equals the mean over the big batch.
    const samples = tinySamples(4, 1, 11, [7, 7]);
    const results: number[][] = [];
    for (const split of [[samples], [samples.slice(0, 2), samples.slice(2)]]) {
      const model = tinyLm(5);
      const optimizer = new AdamW(model.params, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05 });
      for (let step = 0; step < 2; step++) {
        const out = trainStep({ model, objective: meanCe, optimizer, microBatches: split.map((s) => collate(s, 0)), step, totalSteps: 2, lr: 0.05, clipGrad: 0.5 });
        assert.ok(out.finite);
      }
      results.push(await weights(model));
      optimizer.dispose();
      model.dispose();
    }
    results[0]!.forEach((w, i) => assert.ok(Math.abs(w - results[1]![i]!) < 1e-5, `weight ${i}: ${w} vs ${results[1]![i]}`));
  });

  it('keeps the live tensor count flat from step to step, evaluations included', async () => {
    const model = tinyLm(2);
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const outcome = await train({
      model, objective: meanCe, train: tinySamples(12, 2), eval: tinySamples(5, 9), padId: 0,
      settings: { ...settings, evalEvery: 2, gradAccum: 2, batch: 2 },
      shouldStop: () => {
        counts.push(tf.memory().numTensors);
        return false;
      },
    });
    assert.equal(outcome.status, 'completed');
    assert.ok(counts.length >= 5, `only ${counts.length} steps`);
    assert.deepEqual(counts, counts.map(() => counts[0]), `tensor counts ${counts.join(',')}`);
    // The optimizer's moments are released at the end: nothing but the model remains.
    assert.equal(tf.memory().numTensors, before);
    model.dispose();
  });

  it('is deterministic: the same seed gives the same losses, and the loss falls', async () => {
    const histories: number[][] = [];
    for (let run = 0; run < 2; run++) {
      const model = tinyLm(4);
      const outcome = await train({ model, objective: meanCe, train: tinySamples(16, 4), eval: [], padId: 0, settings: { ...settings, epochs: 4 } });
      histories.push(outcome.history.map((m) => m.loss));
      model.dispose();
    }
    assert.deepEqual(histories[0], histories[1]);
    const h = histories[0]!;
    assert.equal(h.length, 16);
    assert.ok(h.slice(-4).reduce((a, b) => a + b) < h.slice(0, 4).reduce((a, b) => a + b), `loss did not fall: ${h.join(', ')}`);
  });

  it('resumes from an interrupted run’s checkpoint with the same losses as an uninterrupted run', async () => {
    const data = { train: tinySamples(10, 6), eval: tinySamples(3, 7), padId: 0 };
    const s = { ...settings, epochs: 3, batch: 2, gradAccum: 2, evalEvery: 4 };
    const whole = tinyLm(8);
    const full = await train({ model: whole, objective: meanCe, ...data, settings: s, runDir: new RunDirectory(join(dir, 'whole')) });
    assert.equal(full.status, 'completed');
    assert.equal(full.totalSteps, 9); // ceil(5 micro-batches / 2) = 3 updates an epoch

    const runDir = new RunDirectory(join(dir, 'split'));
    const first = tinyLm(8);
    const stopped = await train({ model: first, objective: meanCe, ...data, settings: s, runDir, shouldStop: (done) => done === 4 });
    assert.equal(stopped.status, 'interrupted');
    assert.equal(stopped.step, 4);
    const latest = await latestCheckpoint(runDir.path);
    assert.equal(latest?.step, 4);
    // A half-written checkpoint (a crash mid-save) sits under a temporary name and is never picked.
    await mkdir(join(runDir.path, 'checkpoints', '.step-7.tmp-1-abcd'), { recursive: true });
    assert.equal((await latestCheckpoint(runDir.path))?.step, 4);

    const second = tinyLm(99); // different initial weights: everything must come from the checkpoint
    const resumed = await train({ model: second, objective: meanCe, ...data, settings: s, runDir, resumeFrom: latest!.dir });
    assert.equal(resumed.status, 'completed');
    assert.deepEqual(resumed.history.map((m) => m.step), [5, 6, 7, 8, 9]);
    assert.deepEqual(resumed.history.map((m) => m.loss), full.history.slice(4).map((m) => m.loss));
    assert.deepEqual(await weights(second), await weights(whole));
    const lines = (await readFile(runDir.metricsFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l).step);
    assert.deepEqual(lines, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // Resuming a finished run changes nothing.
    const evalLines = await readFile(runDir.evalFile, 'utf8');
    const again = await train({ model: second, objective: meanCe, ...data, settings: s, runDir, resumeFrom: (await latestCheckpoint(runDir.path))!.dir });
    assert.equal(again.status, 'completed');
    assert.deepEqual(again.history, []);
    assert.equal(await readFile(runDir.evalFile, 'utf8'), evalLines);
    for (const m of [whole, first, second]) m.dispose();
  });

  it('refuses to resume with settings that would replay different data', async () => {
    const data = { train: tinySamples(6, 6), eval: [], padId: 0 };
    const runDir = new RunDirectory(join(dir, 'changed'));
    const model = tinyLm(8);
    await train({ model, objective: meanCe, ...data, settings, runDir, shouldStop: () => true });
    const latest = await latestCheckpoint(runDir.path);
    await assert.rejects(
      train({ model, objective: meanCe, ...data, settings: { ...settings, batch: 3 }, runDir, resumeFrom: latest!.dir }),
      /settings changed \(batch 4 → 3/,
    );
    model.dispose();
  });

  it('stops on a non-finite loss without applying it, and saves the last good state', async () => {
    let calls = 0;
    const poisoned: StepObjective = {
      ...meanCe,
      computeLoss(model, batch, ctx) {
        const r = meanCe.computeLoss(model, batch, ctx);
        if (++calls < 3) return r;
        return { ...r, loss: tf.mul(r.loss, NaN) as tf.Scalar };
      },
    };
    const runDir = new RunDirectory(join(dir, 'nan'));
    const model = tinyLm(3);
    const outcome = await train({ model, objective: poisoned, train: tinySamples(12, 1), eval: [], padId: 0, settings: { ...settings, batch: 2 }, runDir });
    assert.equal(outcome.status, 'diverged');
    assert.equal(outcome.step, 2);
    assert.match(outcome.message!, /non-finite loss \(NaN\) at step 3/);
    assert.equal((await latestCheckpoint(runDir.path))?.step, 2);
    assert.ok((await weights(model)).every(Number.isFinite));
    model.dispose();
  });

  it('treats running out of memory as a training failure after saving the last good state; other errors propagate', async () => {
    const failing = (error: Error): StepObjective => {
      let calls = 0;
      return { ...meanCe, computeLoss: (model, batch, ctx) => {
        if (++calls === 2) throw error;
        return meanCe.computeLoss(model, batch, ctx);
      } };
    };
    const runDir = new RunDirectory(join(dir, 'oom'));
    const model = tinyLm(3);
    const data = { train: tinySamples(12, 1), eval: [], padId: 0 };
    const outcome = await train({ model, objective: failing(new RangeError('Array buffer allocation failed')), ...data, settings: { ...settings, batch: 2 }, runDir });
    assert.equal(outcome.status, 'diverged');
    assert.match(outcome.message!, /out of memory at step 2 .*lower train\.batch/);
    assert.equal((await latestCheckpoint(runDir.path))?.step, 1);
    await assert.rejects(train({ model, objective: failing(new TypeError('a bug')), ...data, settings: { ...settings, batch: 2 } }), /a bug/);
    model.dispose();
  });

  it('writes metrics.jsonl with exactly the fields of CLI.md, checkpoints and final/', async () => {
    const runDir = new RunDirectory(join(dir, 'files'));
    const model = tinyLm(1);
    await train({ model, objective: meanCe, train: tinySamples(8, 1), eval: tinySamples(3, 2), padId: 0, settings: { ...settings, saveEvery: 2, evalEvery: 2 }, runDir });
    const first = JSON.parse((await readFile(runDir.metricsFile, 'utf8')).split('\n')[0]!);
    assert.deepEqual(Object.keys(first).sort(), ['ce', 'elapsed_s', 'epoch', 'groups', 'loss', 'lr', 'params', 'step', 'tokens_per_s', 'worst_group']);
    assert.equal(first.lr, 0); // first update of a warmed-up schedule, as in transformers
    const evals = (await readFile(runDir.evalFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(evals.map((e) => e.step), [0, 2, 4]);
    assert.deepEqual((await readdir(join(runDir.path, 'checkpoints'))).sort(), ['step-2', 'step-4']);
    assert.deepEqual((await readdir(join(runDir.path, 'checkpoints', 'step-4'))).sort(), ['config.json', 'model.safetensors', 'optimizer.safetensors', 'state.json']);
    assert.deepEqual((await readdir(runDir.finalDir)).sort(), ['config.json', 'model.safetensors']);
    model.dispose();
  });
});

describe('trainer with a grouped, stateful objective', function () {
  this.timeout(20000);
  let dir: string;
  before(async () => {
    await tf.setBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-groups-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // Groups by position: `early` holds loss tokens at positions < 3, `late` the others, `never` none.
  // Its state counts training evaluations, so a resume must restore it from state.json.
  function grouped(): StepObjective & { calls: number; prepared: number } {
    const self = {
      name: 'by-position', groupNames: ['early', 'late', 'never'], calls: 0, prepared: 0,
      async prepare() {
        self.prepared += 1;
      },
      computeLoss(model: ReturnType<typeof tinyLm>, batch: Parameters<StepObjective['computeLoss']>[1], ctx: Parameters<StepObjective['computeLoss']>[2]) {
        if (ctx.training) self.calls += 1;
        const ce = plainTokenCe(model, batch);
        const [b, t] = batch.inputIds.shape;
        const early = tf.tile(tf.tensor2d([Array.from({ length: t }, (_, i) => (i < 3 ? 1 : 0))]), [b, 1]);
        const masks = { early: tf.mul(batch.lossMask, early), late: tf.mul(batch.lossMask, tf.sub(1, early)), never: tf.zerosLike(batch.lossMask) };
        const groups = new Map(Object.entries(masks).map(([n, m]) => [n, { loss: maskedMean(ce, m), tokens: m.sum().dataSync()[0]! }]));
        const mean = maskedMean(ce, batch.lossMask);
        return { loss: mean, ce: mean, groups };
      },
      getState: () => ({ calls: self.calls }),
      setState(state: unknown) {
        self.calls = (state as { calls: number }).calls;
        return [];
      },
    };
    return self;
  }

  it('reports per-group losses and the worst non-empty group, and checkpoints the objective state', async () => {
    const data = { train: tinySamples(8, 2, 11, [5, 9]), eval: tinySamples(3, 3), padId: 0 };
    const s = { ...settings, steps: 4, evalEvery: 2 };
    const runDir = new RunDirectory(join(dir, 'g'));
    const first = grouped();
    const model = tinyLm(2);
    const stopped = await train({ model, objective: first, ...data, settings: s, runDir, shouldStop: (n) => n === 2 });
    assert.equal(stopped.status, 'interrupted');
    assert.equal(first.prepared, 1);
    const m = stopped.history[0]!;
    assert.deepEqual(Object.keys(m.groups), ['early', 'late', 'never']);
    assert.equal(m.groups['never']!.tokens, 0);
    assert.equal(m.groups['never']!.loss, 0);
    const nonEmpty = (['early', 'late'] as const).map((g) => m.groups[g]!);
    assert.ok(nonEmpty.every((g) => g.tokens > 0));
    assert.equal(m.worst_group, nonEmpty[0]!.loss >= nonEmpty[1]!.loss ? 'early' : 'late');
    const total = nonEmpty[0]!.tokens + nonEmpty[1]!.tokens;
    assert.ok(Math.abs(m.ce - (nonEmpty[0]!.loss * nonEmpty[0]!.tokens + nonEmpty[1]!.loss * nonEmpty[1]!.tokens) / total) < 1e-5);
    assert.equal(stopped.evals[0]!.groups['never']!.tokens, 0);

    const second = grouped();
    const latest = await latestCheckpoint(runDir.path);
    await train({ model, objective: second, ...data, settings: s, runDir, resumeFrom: latest!.dir });
    assert.equal(second.calls, first.calls + 2); // restored, then two more updates
    model.dispose();
  });
});
