import { strict as assert } from 'node:assert';
import { codes, run, where } from './helpers.js';

describe('settings blocks', () => {
  it('become JSON objects with schema defaults; calls and percents have their JSON forms', () => {
    const r = run('loss = mean(ce)\ntrain { lr = 1e-4, lr_schedule = cosine(warmup = 7%), betas = [0.9, 0.95] }\nmodel { preset = "tiny" }');
    assert.deepEqual(codes(r), []);
    const train = r.objective!.settings.train!;
    assert.deepEqual(train.lr_schedule, { kind: 'cosine', warmup: 0.07 });
    assert.deepEqual(train.betas, [0.9, 0.95]);
    assert.equal(train.lr, 1e-4);
    assert.equal(train.batch, 16);
    assert.equal(train.backend, 'auto');
    assert.deepEqual(r.objective!.settings.model, { preset: 'tiny' });
    assert.equal(r.objective!.settings.data, undefined);
  });
  it('a bare schedule name is a call without arguments', () => {
    assert.deepEqual(run('loss = mean(ce)\ntrain { lr_schedule = constant }').objective!.settings.train!.lr_schedule, { kind: 'constant', warmup: 0 });
  });
  it('points an unknown key at the key, with did-you-mean, also inside a call', () => {
    const r = run('loss = mean(ce)\ntrain { lrr = 1e-4, lr_schedule = cosine(warmpu = 7%) }');
    assert.deepEqual(where(r), ['E0401@2:9', 'E0401@2:42']);
    assert.deepEqual(r.diagnostics.map((d) => d.hint), ['did you mean `lr`?', 'did you mean `warmup`?']);
  });
  it('points a bad value at the value, list items included', () => {
    const r = run('loss = mean(ce)\ntrain { batch = 0, betas = [0.9, 2] }');
    assert.deepEqual(where(r), ['E0403@2:17', 'E0403@2:34']);
    assert.match(r.diagnostics[1]!.message, /train\.betas\.1/);
  });
  it('an importing file overrides imported keys; the same key twice in one file is an error', () => {
    const base = 'loss = mean(ce)\ntrain { lr = 1e-3, batch = 4 }\n';
    const r = run('import "./base.sftgo"\ntrain { lr = 2e-4 }', { 'base.sftgo': base });
    assert.deepEqual(codes(r), []);
    assert.equal(r.objective!.settings.train!.lr, 2e-4);
    assert.equal(r.objective!.settings.train!.batch, 4);
    assert.equal(r.objective!.settingSpans.train!['/lr']!.key.file, 'main.sftgo');
    assert.deepEqual(codes(run('loss = mean(ce)\ntrain { lr = 1e-3, lr = 1e-4 }')), ['E0402']);
  });
  it('a reference model is a directory: `path` is required and `preset` is not a key of reference', () => {
    assert.deepEqual(codes(run('loss = mean(ref_ce)\nreference { path = "ref" }')), []);
    const preset = run('loss = mean(ref_ce)\nreference { preset = "tiny" }');
    assert.ok(codes(preset).includes('E0401'), JSON.stringify(codes(preset)));
  });
  it('rejects objective expressions and bad percents as values', () => {
    assert.deepEqual(codes(run('loss = mean(ce)\ntrain { lr = ce }')), ['E0403']);
    assert.deepEqual(codes(run('loss = mean(ce)\ntrain { lr = 1 + 2 }')), ['E0404']);
    assert.deepEqual(where(run('loss = mean(ce)\ntrain { lr_schedule = linear(warmup = 120%) }')), ['E0501@2:39']);
  });
});

describe('model and reference blocks', () => {
  it('a model needs exactly one of path and preset; a reference needs a path', () => {
    assert.deepEqual(where(run('loss = mean(ce)\nmodel { }')), ['E0403@2:1']);
    assert.deepEqual(where(run('loss = mean(ce)\nmodel { path = "a", preset = "tiny" }')), ['E0403@2:21']);
    assert.deepEqual(codes(run('loss = mean(ce)\nmodel { preset = "tiny" }\nreference { path = "r" }')), []);
    assert.deepEqual(codes(run('loss = mean(ce)\nreference { }')), ['E0403']);
  });
});
