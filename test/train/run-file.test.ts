// One tiny end-to-end run through the same code path as `sftgoc run` (compile, settings, backend,
// tokenizer, model preset, data, trainer, run directory), then `sftgoc eval` on its result.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BufferOutput } from '../../src/cli/output.js';
import { runEval } from '../../src/app/eval-run.js';
import { runFile, type RunFileOptions } from '../../src/app/run.js';
import { setFlag } from '../helpers/set-flag.js';

const records = [
  { prompt: 'Question: What colour is the sky?\nAnswer:', completion: ' The sky is blue.' },
  { prompt: 'Question: What is two plus two?\nAnswer:', completion: ' Two plus two is four.' },
  { prompt: 'Question: Where do fish live?\nAnswer:', completion: ' Fish live in water.' },
  { prompt: 'Question: What do cows eat?\nAnswer:', completion: ' Cows eat grass.' },
];

describe('sftgoc run / eval end to end (tiny preset, a few steps)', function () {
  this.timeout(60000);
  let dir: string;
  let previousBackend: string | undefined;
  const options = (extra: Partial<RunFileOptions> = {}): RunFileOptions => ({
    params: [], skipBadRecords: false, quiet: false, json: true, tty: false, shouldStop: () => false,
    settings: [
      setFlag(`data.train=${JSON.stringify(join(dir, 'train.jsonl'))}`), setFlag(`data.eval=${JSON.stringify(join(dir, 'eval.jsonl'))}`),
      setFlag('train.steps=3'), setFlag('train.batch=2'), setFlag('train.eval_every=2'), setFlag('train.save_every=2'), setFlag('train.backend=wasm'),
      setFlag(`train.out=${JSON.stringify(join(dir, 'run'))}`),
    ],
    ...extra,
  });

  before(async () => {
    previousBackend = tf.getBackend();
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-run-'));
    await writeFile(join(dir, 'train.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
    await writeFile(join(dir, 'eval.jsonl'), records.slice(0, 2).map((r) => JSON.stringify(r)).join('\n'));
    await writeFile(join(dir, 'sft.sftgo'), 'loss = mean(ce)\nmodel { preset = "tiny" }\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    // Other test files expect the backend they chose (or tfjs's default, cpu, in Node).
    await tf.setBackend(previousBackend ?? 'cpu');
  });

  it('trains, writes the run directory of CLI.md, and eval reads it back', async () => {
    const out = new BufferOutput();
    const result = await runFile(join(dir, 'sft.sftgo'), options(), out);
    assert.equal(result.exitCode, 0, out.stderrText);
    const summary = JSON.parse(out.stdoutText);
    assert.equal(summary.status, 'completed');
    assert.equal(summary.steps, 3);
    const run = join(dir, 'run');
    assert.deepEqual((await readdir(run)).sort(), ['.sftgoc-run', 'cache', 'checkpoints', 'config.json', 'eval.jsonl', 'final', 'metrics.jsonl', 'objective.sftgo']);
    const record = await readFile(join(run, 'objective.sftgo'), 'utf8');
    assert.ok(record.startsWith('loss = mean(ce)\nmodel { preset = "tiny" }\n\n# ---- command-line overrides (--set) ----\n'), record);
    assert.match(record, /^# \| train \{ steps = 3 \}$/m);
    const config = JSON.parse(await readFile(join(run, 'config.json'), 'utf8'));
    assert.equal(config.backend.name, 'wasm');
    assert.equal(config.train.lr_schedule, 'cosine(warmup = 7%)');
    assert.equal(config.model.preset, 'tiny');
    const metrics = (await readFile(join(run, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(metrics.map((m) => m.step), [1, 2, 3]);
    for (const m of metrics) {
      assert.deepEqual(Object.keys(m).sort(), ['ce', 'elapsed_s', 'epoch', 'groups', 'loss', 'lr', 'params', 'step', 'tokens_per_s', 'worst_group']);
      assert.ok(Number.isFinite(m.loss) && m.loss > 0 && m.tokens_per_s > 0);
    }
    assert.deepEqual((await readdir(join(run, 'checkpoints'))).sort(), ['step-2', 'step-3']);
    const ckpt = (await readdir(join(run, 'checkpoints', 'step-2'))).sort();
    for (const f of ['config.json', 'model.safetensors', 'optimizer.safetensors', 'state.json', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(ckpt.includes(f), `${f} in ${ckpt}`);
    const final = await readdir(join(run, 'final'));
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) assert.ok(final.includes(f), `${f} in ${final}`);
    const finalConfig = JSON.parse(await readFile(join(run, 'final', 'config.json'), 'utf8'));
    assert.equal(finalConfig.model_type, 'gpt2');
    assert.equal(typeof finalConfig.eos_token_id, 'number'); // the tokenizer's, not GPT2Config's 50256
    const evals = (await readFile(join(run, 'eval.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(evals.map((e) => e.step), [0, 2, 3]);

    const evalOut = new BufferOutput();
    const code = await runEval({ runDir: run, batch: 2, backend: 'wasm', skipBadRecords: false, json: true, quiet: true }, evalOut);
    assert.equal(code, 0, evalOut.stderrText);
    const report = JSON.parse(evalOut.stdoutText);
    // The final model on the same eval data: the same held-out ce as the run's last evaluation.
    assert.ok(Math.abs(report.ce - evals.at(-1).ce) < 1e-4, `${report.ce} vs ${evals.at(-1).ce}`);
    assert.ok(Math.abs(report.perplexity - Math.exp(report.ce)) < 1e-6 * report.perplexity);

    // Any model directory on any data file: the same numbers from --model/--data.
    const direct = new BufferOutput();
    assert.equal(await runEval({ model: join(run, 'final'), data: join(dir, 'eval.jsonl'), batch: 1, backend: 'wasm', skipBadRecords: false, json: true, quiet: true }, direct), 0);
    assert.ok(Math.abs(JSON.parse(direct.stdoutText).ce - report.ce) < 1e-4);

    const nowhere = new BufferOutput();
    assert.equal(await runEval({ runDir: join(dir, 'nowhere'), batch: 2, backend: 'wasm', skipBadRecords: false, json: false, quiet: true }, nowhere), 1);
    assert.match(nowhere.stderrText, /nowhere\/config\.json: not found: not a run directory/);
  });

  it('refuses to overwrite an existing run, and names bad settings and data files', async () => {
    const again = new BufferOutput();
    assert.equal((await runFile(join(dir, 'sft.sftgo'), options(), again)).exitCode, 1);
    assert.match(again.stderrText, /already holds a run; continue it with: sftgoc run --resume/);

    const bad = new BufferOutput();
    const o = options();
    o.settings = [...o.settings, setFlag('train.lr=fast'), setFlag('train.lrr=1'), setFlag(`train.out=${JSON.stringify(join(dir, 'other'))}`)];
    assert.equal((await runFile(join(dir, 'sft.sftgo'), o, bad)).exitCode, 1);
    // --set values are checked by the compiler against the settings schemas, like entries in the file.
    assert.match(bad.stderrText, /--set train\.lr:1:14: error\[E0403\]: train\.lr must be number/);
    assert.match(bad.stderrText, /error\[E0401\]: unknown key `lrr` in train\n(.*\n){3}help: did you mean `lr`\?/);

    const missing = new BufferOutput();
    const m = options();
    m.settings = [...m.settings, setFlag('data.train="nowhere.jsonl"'), setFlag(`train.out=${JSON.stringify(join(dir, 'other'))}`)];
    assert.equal((await runFile(join(dir, 'sft.sftgo'), m, missing)).exitCode, 1);
    assert.match(missing.stderrText, /nowhere\.jsonl: no such data file/, missing.stderrText);
  });

  it('train.precision = "bf16" on a backend without the BLAS stops before training, saying what it needs', async () => {
    const out = new BufferOutput();
    const o = options();
    o.settings = [...o.settings, setFlag('train.precision="bf16"'), setFlag(`train.out=${JSON.stringify(join(dir, 'bf16'))}`)];
    assert.equal((await runFile(join(dir, 'sft.sftgo'), o, out)).exitCode, 1);
    assert.match(out.stderrText, /train\.precision = "bf16" needs the wasm-blas backend/);
  });
});
