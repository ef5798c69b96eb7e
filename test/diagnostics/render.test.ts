import { strict as assert } from 'node:assert';
import { error } from '../../src/diagnostics/diagnostic.js';
import { renderDiagnostic } from '../../src/diagnostics/render.js';
import { spanOf } from '../../src/diagnostics/span.js';
import { nearest } from '../../src/diagnostics/suggest.js';

describe('diagnostic rendering', () => {
  const source = 'param η = 30%\nloss = mean(0.5)\n';
  it('prints file:line:col, the source line and carets under the whole span', () => {
    const start = source.indexOf('mean');
    const d = error('E0301', 'mean() needs tokens, found number', spanOf('a.sftgo', source, start, start + 'mean(0.5)'.length), 'write `0.5`');
    assert.equal(
      renderDiagnostic(d, () => source),
      ['a.sftgo:2:8: error[E0301]: mean() needs tokens, found number', '  |', '2 | loss = mean(0.5)', '  |        ^^^^^^^^^', 'help: write `0.5`'].join('\n'),
    );
  });
  it('counts columns in code points, so Greek letters take one column', () => {
    const start = source.indexOf('30%');
    const d = error('E0102', 'x', spanOf('a.sftgo', source, start, start + 3));
    assert.match(renderDiagnostic(d, () => source), /^a\.sftgo:1:11: .*\n.*\n1 \| param η = 30%\n  \|           \^\^\^$/);
  });
  it('suggests the nearest name only when it is close', () => {
    assert.equal(nearest('tfdif', ['tfidf', 'frequency', 'random']), 'tfidf');
    assert.equal(nearest('zzzzzz', ['tfidf', 'frequency']), undefined);
  });
});
