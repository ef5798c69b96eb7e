import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { compile, compileFile } from '../../src/compile.js';
import * as api from '../../src/index.js';
import { memoryHost } from '../../src/check/host.js';
import { repoRoot } from '../helpers/golden.js';

describe('library entry', () => {
  it('exports compile, compileFile, parse, renderDiagnostics and the IR helpers', () => {
    for (const name of ['compile', 'compileFile', 'parse', 'renderDiagnostics', 'printObjective', 'objectiveToJson', 'verifyObjective', 'evaluateObjective', 'memoryHost', 'allCodes']) {
      assert.equal(typeof (api as Record<string, unknown>)[name], 'function', name);
    }
  });
  it('compileFile reads from disk, std/ imports from the package', () => {
    const r = compileFile(join(repoRoot, 'examples', 'lambda-schedule.sftgo'));
    assert.deepEqual(r.diagnostics, []);
    assert.ok(Object.keys(r.sources).includes('std/sftgo.sftgo'));
    assert.equal(r.objective!.name, 'sftgo_lambda_schedule');
  });
  it('compileFile on a missing file is E0205, not an exception', () => {
    const r = compileFile(join(repoRoot, 'no', 'such.sftgo'));
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['E0205']);
    assert.equal(r.objective, undefined);
  });
  it('compileFile goes through a given host', () => {
    const r = compileFile('virtual/a.sftgo', { host: memoryHost({ 'virtual/a.sftgo': 'import "./b.sftgo"', 'virtual/b.sftgo': 'loss = mean(ce)' }) });
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.objective!.name, 'a');
  });
  it('optimize: false skips folding', () => {
    const source = 'loss = (1 + 1)·mean(ce)';
    assert.equal(api.printExpr(compile(source, { optimize: false }).objective!.loss), '(1 + 1) * mean(ce)');
    assert.equal(api.printExpr(compile(source).objective!.loss), '2 * mean(ce)');
  });
});
