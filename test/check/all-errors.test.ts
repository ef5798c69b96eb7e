import { strict as assert } from 'node:assert';
import { renderDiagnostics } from '../../src/diagnostics/render.js';
import { run, where } from './helpers.js';

describe('every error of a file is reported at once', () => {
  it('an unknown name on line 1, a type error on line 3 and a bad settings key on line 5', () => {
    const source = ['let w = sg(pp)', 'group g = tfidf(top 30%)', 'loss = mean(ce) + g', '', 'train { lr = 1e-4, bach = 8 }'].join('\n');
    const r = run(source);
    assert.deepEqual(where(r), ['E0201@1:12', 'E0301@3:17', 'E0401@5:20']);
    const text = renderDiagnostics(r.diagnostics, (f) => r.sources[f]);
    assert.match(text, /main\.sftgo:1:12: error\[E0201\]: unknown name `pp`\n.*\n1 \| let w = sg\(pp\)\n {2}\| {12}\^\^\nhelp: did you mean `p`\?/);
    assert.match(text, /main\.sftgo:5:20: error\[E0401\]: unknown key `bach` in train/);
    assert.equal(r.objective, undefined);
  });
  it('syntax errors and checker errors of other statements come together', () => {
    const r = run('let a = (1 +\nloss = mean(cee)');
    assert.ok(r.diagnostics.some((d) => d.code.startsWith('E01')), r.diagnostics.map((d) => d.code).join());
    assert.ok(r.diagnostics.some((d) => d.code === 'E0201'));
  });
  it('a statement that fails to parse does not also make its name unknown or the loss missing', () => {
    const r = run('let w = = 3\nloss = w·mean(ce) +\nlet q = zz');
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['E0110', 'E0110', 'E0201']);
    assert.equal(r.diagnostics[2]!.span.start.line, 3);
  });
});
