import { strict as assert } from 'node:assert';
import { compile } from '../../src/compile.js';
import { memoryHost } from '../../src/check/host.js';
import { renderDiagnostics } from '../../src/diagnostics/render.js';
import type { SettingOverride } from '../../src/check/set-overrides.js';

function withSet(source: string, set: SettingOverride[]) {
  return compile(source, { file: 'main.sftgo', host: memoryHost({}), set });
}

describe('--set block.key=VALUE', () => {
  const source = 'loss = mean(ce)\ntrain { lr = 1e-3, batch = 4 }';
  it('overrides a key after every file and keeps the rest of the block', () => {
    const r = withSet(source, [{ key: 'train.lr', value: '1e-4' }, { key: 'train.lr_schedule', value: 'linear(warmup = 5%)' }]);
    assert.deepEqual(r.diagnostics, []);
    const train = r.objective!.settings.train!;
    assert.equal(train.lr, 1e-4);
    assert.equal(train.batch, 4);
    assert.deepEqual(train.lr_schedule, { kind: 'linear', warmup: 0.05 });
    assert.equal(r.objective!.settingSpans.train!['/lr']!.key.file, '--set train.lr');
  });
  it('reads bare words as strings, except for object-valued keys', () => {
    const r = withSet(source, [
      { key: 'train.backend', value: 'cpu' },
      { key: 'train.out', value: 'runs/x-1' },
      { key: 'train.lr_schedule', value: 'constant' },
      { key: 'model.path', value: '/models/gpt2' },
    ]);
    assert.deepEqual(r.diagnostics, []);
    const { train, model } = r.objective!.settings;
    assert.equal(train!.backend, 'cpu');
    assert.equal(train!.out, 'runs/x-1');
    assert.deepEqual(train!.lr_schedule, { kind: 'constant', warmup: 0 });
    assert.deepEqual(model, { path: '/models/gpt2' });
  });
  it('reports a bad value or key against the override, quoting it', () => {
    const r = withSet(source, [{ key: 'train.batch', value: '0' }, { key: 'train.bach', value: '8' }, { key: 'trian.lr', value: '1' }]);
    assert.deepEqual(r.diagnostics.map((d) => `${d.code} ${d.span.file}`), ['E0401 --set train.bach', 'E0403 --set train.batch', 'E0401 --set trian.lr']);
    const text = renderDiagnostics(r.diagnostics, (f) => r.sources[f]);
    assert.match(text, /--set train\.batch:1:17: error\[E0403\]: train\.batch must be >= 1\n.*\n1 \| train \{ batch = 0 \}/);
    assert.match(text, /did you mean `train\.lr`\?/);
  });
});

describe('--set model.path on a file with a preset', () => {
  it('replaces the preset instead of asking for one of them', () => {
    const r = withSet('loss = mean(ce)\nmodel { preset = "tiny" }', [{ key: 'model.path', value: 'models/gpt2' }]);
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(r.objective!.settings.model, { path: 'models/gpt2' });
  });
});
