// The tfjs engine through the Engine interface and the pipeline's stage functions: a grouped
// objective prepared once; evaluate() is repeatable; save() writes a Hugging Face directory from
// which a second engine, started on that directory, evaluates to the same numbers (a save/load
// round trip, not the same computation twice); train() runs the whole loop and the held-out ce it
// reports is evaluate()'s after training.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compileOverrides } from '../../../src/cli/compiler-bridge.js';
import type { PreparedRun } from '../../../src/engine/types.js';
import { compileObjective, loadInputs, planRun, prepareEngine, type RunRequest } from '../../../src/pipeline.js';
import { startBackend } from '../../../src/backend/start.js';
import { silentReporter } from '../../../src/train/reporter.js';
import { setFlag } from '../../helpers/set-flag.js';

const records = [
  { prompt: 'Question: What colour is the sky?\nAnswer:', completion: ' The sky is blue.' },
  { prompt: 'Question: What is two plus two?\nAnswer:', completion: ' Two plus two is four.' },
  { prompt: 'Question: Where do fish live?\nAnswer:', completion: ' Fish live in water.' },
  { prompt: 'Question: What do cows eat?\nAnswer:', completion: ' Cows eat grass.' },
];

describe('engine: tfjs through the Engine interface', function () {
  this.timeout(60000);
  let dir: string;
  let previousBackend: string | undefined;

  async function prepared(extra: string[] = []): Promise<PreparedRun> {
    const settings = [
      setFlag(`data.train=${JSON.stringify(join(dir, 'train.jsonl'))}`), setFlag(`data.eval=${JSON.stringify(join(dir, 'eval.jsonl'))}`),
      setFlag('train.steps=2'), setFlag('train.batch=2'), setFlag('train.eval_every=0'), setFlag('train.save_every=0'), setFlag('train.backend=cpu'),
      setFlag(`train.out=${JSON.stringify(join(dir, `run-${Math.random().toString(36).slice(2)}`))}`), ...extra.map(setFlag),
    ];
    const request: RunRequest = { file: join(dir, 'g.sftgo'), compile: compileOverrides({ params: [], settings }), engine: 'tfjs', skipBadRecords: false };
    const compiled = compileObjective(request);
    assert.ok(compiled.ok, JSON.stringify(compiled));
    const planned = await planRun(request, compiled);
    assert.ok(planned.ok, JSON.stringify(planned));
    assert.ok((await startBackend('cpu')).ok);
    const loaded = await loadInputs(planned.plan, { skipBadRecords: false, log: () => undefined });
    assert.ok(loaded.ok, JSON.stringify(loaded));
    const engine = await prepareEngine(request, planned.plan, loaded, { reporter: silentReporter, log: () => undefined, shouldStop: () => false });
    assert.ok(engine.ok, JSON.stringify(engine));
    return engine.run;
  }

  before(async () => {
    previousBackend = tf.getBackend();
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-engine-'));
    await writeFile(join(dir, 'train.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    await writeFile(join(dir, 'eval.jsonl'), records.slice(1).map((r) => JSON.stringify(r)).join('\n'));
    // Static scores (the precompute pass feeds the engine's ScoreStore) and two groups.
    await writeFile(join(dir, 'g.sftgo'), 'group important = tfidf(top 30%); loss = λ·max(groups) + (1 - λ)·ce\nmodel { preset = "tiny" }\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await tf.setBackend(previousBackend ?? 'cpu');
  });

  it('evaluates repeatably, and a saved model evaluates the same in a fresh engine', async () => {
    const run = await prepared();
    try {
      const first = await run.evaluate();
      const again = await run.evaluate();
      assert.ok(first !== undefined && again !== undefined);
      assert.deepEqual(again, first);
      assert.deepEqual(Object.keys(first.groups), ['important', 'rest']);
      assert.ok(first.ce > 0 && first.tokens > 0);
      const saved = join(dir, 'saved');
      await run.save(saved);
      const files = await readdir(saved);
      for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) assert.ok(files.includes(f), `${f} in ${files.join(', ')}`);
      const reloaded = await prepared([`model.path=${JSON.stringify(saved)}`]);
      try {
        const fromDisk = await reloaded.evaluate();
        assert.ok(fromDisk !== undefined);
        assert.ok(Math.abs(fromDisk.ce - first.ce) < 1e-5, `ce ${fromDisk.ce} after save/load, ${first.ce} before`);
        assert.ok(Math.abs(fromDisk.loss - first.loss) < 1e-5);
      } finally {
        reloaded.dispose();
      }
    } finally {
      run.dispose();
    }
  });

  it('trains the whole run, and its final held-out ce is evaluate() of the trained weights', async () => {
    const run = await prepared();
    try {
      const before = await run.evaluate();
      const outcome = await run.train();
      assert.equal(outcome.status, 'completed');
      assert.equal(outcome.step, 2);
      const after = await run.evaluate();
      assert.ok(before !== undefined && after !== undefined);
      assert.notEqual(after.ce, before.ce);
      assert.ok(Math.abs(outcome.evals.at(-1)!.ce - after.ce) < 1e-6, `${outcome.evals.at(-1)!.ce} vs ${after.ce}`);
    } finally {
      run.dispose();
    }
  });
});
