import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compile } from '../../src/compile.js';
import { decodeLrSchedule, resolveRunConfig, runConfigToJson } from '../../src/train/config.js';

const base = { objectiveName: 'demo', sourceFile: '/proj/objectives/demo.sftgo', packageRoot: '/pkg', cwd: '/work', now: new Date('2026-11-22T04:05:09Z') };
describe('run settings (RunConfig)', () => {
  it('fills every default of LANGUAGE.md §8 and the bundled model and data', () => {
    const { config, errors } = resolveRunConfig({}, base);
    assert.deepEqual(errors, []);
    assert.deepEqual(config.train, {
      epochs: 3, steps: 0, batch: 16, gradAccum: 1, lr: 3e-4, lrSchedule: { kind: 'cosine', warmup: 0.07 }, weightDecay: 0.05,
      eps: 1e-8, betas: [0.9, 0.999], clipGrad: 1, seed: 1, evalEvery: 50, saveEvery: 200, out: '/work/runs/demo-2026-11-22T04-05-09', backend: 'auto',
      engine: 'tfjs', nproc: 1, device: 'auto',
    });
    assert.deepEqual(config.data, {
      train: '/pkg/assets/default/data/train.jsonl', eval: '/pkg/assets/default/data/eval.jsonl', questions: '/pkg/assets/default/data/questions.jsonl',
      format: 'auto', lossOn: 'response', maxLen: 128, maxRecordBytes: 8 * 1024 * 1024,
    });
    // max_len defaults to the model's positions: the tiny preset has 128.
    // No bundled model directory under /pkg: the tiny preset with the bundled tokenizer.
    assert.deepEqual(config.model, { preset: 'tiny', tokenizer: '/pkg/assets/default/tokenizer' });
    assert.equal(runConfigToJson(config).train && (runConfigToJson(config).train as { lr_schedule: string }).lr_schedule, 'cosine(warmup = 7%)');
  });

  /** The settings as `run` gets them: compiled, with `--set` applied by the compiler (spans name the flag). */
  const compiled = (source: string, set: { key: string; value: string }[]) => {
    const r = compile(source, { file: base.sourceFile, set });
    assert.ok(r.objective, r.diagnostics.map((d) => d.message).join('; '));
    return r.objective;
  };

  it('knows a --set by its typed origin, not its name: a file named like a flag resolves against its directory', () => {
    const r = compile('loss = mean(ce)\ndata { train = "t.jsonl" }\n', { file: '--set x/a.sftgo', overrides: [{ kind: 'set', key: 'data.eval', value: '"e.jsonl"' }] });
    assert.ok(r.objective, r.diagnostics.map((d) => d.message).join('; '));
    const { config } = resolveRunConfig(r.objective.settings, { ...base, sourceFile: '--set x/a.sftgo', origins: r.objective.settingSpans });
    assert.equal(config.data.train, '/work/--set x/t.jsonl');
    assert.equal(config.data.eval, '/work/e.jsonl');
    // Data of one's own: no bundled questions are assumed.
    assert.equal(config.data.questions, undefined);
  });

  it('data.questions: relative to the file that says it, or to the working directory for --set', () => {
    const own = compiled('loss = mean(ce)\ndata { train = "t.jsonl", questions = "q.jsonl" }\n', []);
    assert.equal(resolveRunConfig(own.settings, { ...base, origins: own.settingSpans }).config.data.questions, '/proj/objectives/q.jsonl');
    const bundled = compiled('loss = mean(ce)\n', [{ key: 'data.questions', value: '"mine.jsonl"' }]);
    assert.equal(resolveRunConfig(bundled.settings, { ...base, origins: bundled.settingSpans }).config.data.questions, '/work/mine.jsonl');
  });

  it('resolves paths written in the file against its directory, and --set paths against the working directory', () => {
    const o = compiled('loss = mean(ce)\nmodel { path = "../models/m" }\ndata { train = "d/train.jsonl" }\ntrain { out = "out/r1" }\n', [{ key: 'data.eval', value: '"e.jsonl"' }]);
    const { config, errors } = resolveRunConfig(o.settings, { ...base, origins: o.settingSpans });
    assert.deepEqual(errors, []);
    assert.equal(config.model.path, '/proj/models/m');
    assert.equal(config.model.tokenizer, undefined);
    assert.equal(config.data.train, '/proj/objectives/d/train.jsonl');
    assert.equal(config.data.eval, '/work/e.jsonl');
    assert.equal(config.train.out, '/proj/objectives/out/r1');
  });

  it('applies --set overrides over the file and parses their values', () => {
    const o = compiled('loss = mean(ce)\ntrain { lr = 1e-3, lr_schedule = linear(warmup = 10%) }\n', [
      { key: 'train.lr', value: '1e-4' }, { key: 'train.betas', value: '[0.9, 0.95]' }, { key: 'train.lr_schedule', value: 'cosine(warmup = 5%)' }, { key: 'train.backend', value: 'wasm' },
    ]);
    const { config, errors } = resolveRunConfig(o.settings, { ...base, origins: o.settingSpans });
    assert.deepEqual(errors, []);
    assert.equal(config.train.lr, 1e-4);
    assert.deepEqual(config.train.betas, [0.9, 0.95]);
    assert.deepEqual(config.train.lrSchedule, { kind: 'cosine', warmup: 0.05 });
    assert.equal(config.train.backend, 'wasm');
  });

  it('takes the engine settings of LANGUAGE.md §8 (engine, nproc, device) and the wasm-blas backend from the train block', () => {
    const o = compiled('loss = mean(ce)\ntrain { engine = "torch", nproc = 2, device = "cpu", backend = "wasm-blas" }\n', []);
    const { config, errors } = resolveRunConfig(o.settings, { ...base, origins: o.settingSpans });
    assert.deepEqual(errors, []);
    assert.deepEqual([config.train.engine, config.train.nproc, config.train.device, config.train.backend], ['torch', 2, 'cpu', 'wasm-blas']);
    const json = runConfigToJson(config).train as Record<string, unknown>;
    assert.deepEqual([json.engine, json.nproc, json.device], ['torch', 2, 'cpu']);
    for (const bad of ['engine = "jax"', 'nproc = 0', 'nproc = 1.5', 'device = "tpu"']) {
      const r = compile(`loss = mean(ce)\ntrain { ${bad} }\n`, { file: base.sourceFile });
      assert.ok(r.diagnostics.some((d) => d.severity === 'error'), `${bad} should be refused`);
    }
  });

  it('train.precision: fp32 or bf16, recorded in config.json when given, anything else refused', () => {
    const o = compiled('loss = mean(ce)\ntrain { precision = "bf16" }\n', []);
    const { config, errors } = resolveRunConfig(o.settings, { ...base, origins: o.settingSpans });
    assert.deepEqual(errors, []);
    assert.equal(config.train.precision, 'bf16');
    assert.equal((runConfigToJson(config).train as Record<string, unknown>).precision, 'bf16');
    const unset = resolveRunConfig(compiled('loss = mean(ce)\n', []).settings, base).config;
    assert.equal(unset.train.precision, undefined, 'unset means float32');
    assert.equal('precision' in (runConfigToJson(unset).train as Record<string, unknown>), false);
    for (const bad of ['precision = "fp16"', 'precision = 16']) {
      const r = compile(`loss = mean(ce)\ntrain { ${bad} }\n`, { file: base.sourceFile });
      assert.ok(r.diagnostics.some((d) => d.severity === 'error'), `${bad} should be refused`);
    }
  });

  it('--resume RUN_DIR replaces train.out, relative to the working directory', () => {
    const { config } = resolveRunConfig({ train: { out: 'out/r1' } }, { ...base, resumeDir: 'runs/old' });
    assert.equal(config.train.out, '/work/runs/old');
  });

  it('reports every bad key and value at once, with did-you-mean: the compiler\'s E04xx, file and --set alike', () => {
    // The settings are validated once, by the compiler against schemas/*.schema.json; the values
    // resolveRunConfig would have rejected itself before now come back as diagnostics with spans.
    const source = 'loss = mean(ce)\ntrain { batch = 0, betas = [0.9], backend = "wsam" }\nmodel { path = "a", preset = "tiny" }\n';
    const { diagnostics } = compile(source, { file: '/proj/x.sftgo', set: [{ key: 'train.learning_rate', value: '1' }, { key: 'train.lr', value: '-1' }] });
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const text = errors.map((d) => `${d.code} ${d.message} ${d.hint ?? ''}`);
    assert.equal(errors.length, 6, text.join('\n'));
    assert.ok(errors.every((d) => /^E040[13]$/.test(d.code)), text.join('\n'));
    assert.ok(text.some((t) => /E0403 .*batch/.test(t)));
    assert.ok(text.some((t) => /E0403 .*betas/.test(t)));
    assert.ok(text.some((t) => /E0403 .*backend.*wasm/.test(t)));
    assert.ok(text.some((t) => /E0403 .*exactly one of `path` and `preset`/.test(t)));
    assert.ok(text.some((t) => /E0401 .*learning_rate.*lr/.test(t)));
    assert.ok(text.some((t) => /E0403 .*lr/.test(t) && !/learning_rate/.test(t)));
  });

  it('decodes lr_schedule in the compiler’s JSON form and in text', () => {
    assert.deepEqual(decodeLrSchedule({ kind: 'cosine', warmup: 0.07 }), { kind: 'cosine', warmup: 0.07 });
    assert.deepEqual(decodeLrSchedule({ kind: 'constant' }), { kind: 'constant', warmup: 0 });
    assert.deepEqual(decodeLrSchedule('linear(warmup = 10%)'), { kind: 'linear', warmup: 0.1 });
    assert.match(decodeLrSchedule({ kind: 'step' }) as string, /not constant, linear/);
  });

  it('takes the compiled settings blocks of a real file', () => {
    const source = 'loss = mean(ce)\ntrain { lr = 1e-3, lr_schedule = linear(warmup = 10%), betas = [0.9, 0.95] }\ndata { train = "t.jsonl" }\n';
    const { objective, diagnostics } = compile(source, { file: join('/proj', 'x.sftgo') });
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    const { config, errors } = resolveRunConfig(objective!.settings, { ...base, sourceFile: '/proj/x.sftgo' });
    assert.deepEqual(errors, []);
    assert.deepEqual(config.train.lrSchedule, { kind: 'linear', warmup: 0.1 });
    assert.deepEqual(config.train.betas, [0.9, 0.95]);
    assert.equal(config.data.train, '/proj/t.jsonl');
    assert.equal(config.data.eval, undefined); // own training data: no bundled eval set is mixed in
  });
});
