import { strict as assert } from 'node:assert';
import { compile } from '../../src/compile.js';
import { memoryHost, type CompileHost } from '../../src/check/host.js';
import { CHECK_CODES } from '../../src/check/codes.js';
import { renderDiagnostics } from '../../src/diagnostics/render.js';
import { expectGolden } from '../helpers/golden.js';
import { ERROR_CASES } from './error-cases.js';

describe('golden rendered diagnostics, one source per checker code', () => {
  for (const [code, c] of Object.entries(ERROR_CASES)) {
    it(code, () => {
      const r = compile(c.source, { file: 'main.sftgo', host: memoryHost({ ...(c.files ?? {}), 'main.sftgo': c.source }), params: c.params });
      assert.ok(r.diagnostics.some((d) => d.code === code), `expected ${code}, got ${r.diagnostics.map((d) => d.code).join(', ') || 'nothing'}`);
      if (code.startsWith('E')) assert.equal(r.objective, undefined);
      expectGolden(`check-errors/${code}.txt`, renderDiagnostics(r.diagnostics, (f) => r.sources[f]) + '\n');
    });
  }
  it('an exception inside the compiler becomes E0901 instead of escaping', () => {
    const host: CompileHost = { readFile: () => { throw new Error('disk on fire'); }, resolve: (s) => s };
    const r = compile('import "./x.sftgo"\nloss = mean(ce)', { file: 'main.sftgo', host });
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['E0901']);
    assert.match(r.diagnostics[0]!.message, /disk on fire/);
  });
  it('every checker code has a case (E0901 is covered above)', () => {
    const missing = Object.keys(CHECK_CODES).filter((c) => c !== 'E0901' && !(c in ERROR_CASES));
    assert.deepEqual(missing, []);
  });
});
