// sample { }'s defaults live in schemas/sample.schema.json (ajv applies them) and in
// src/language/on-policy-settings.ts (for objectives built without ajv): the two must agree. And the
// analysis exposes on-policy needs exactly when the file has both `sample { }` and `reward`.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeObjective } from '../../src/analysis/index.js';
import { compile } from '../../src/compile.js';
import { SAMPLE_DEFAULTS, sampleSettings } from '../../src/language/on-policy-settings.js';
import { repoRoot } from '../helpers/golden.js';

describe('sample { } settings', () => {
  it('the schema\'s defaults are SAMPLE_DEFAULTS', () => {
    const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'sample.schema.json'), 'utf8')) as { properties: Record<string, { default: number }> };
    const fromSchema = { n: schema.properties.n!.default, temperature: schema.properties.temperature!.default, topP: schema.properties.top_p!.default, maxNew: schema.properties.max_new!.default };
    assert.deepEqual(fromSchema, { ...SAMPLE_DEFAULTS });
    assert.deepEqual(sampleSettings({}), { ...SAMPLE_DEFAULTS });
  });
  it('analysis.onPolicy carries the sample settings with defaults and the reward', () => {
    const r = compile('loss = mean(ce·advantage)\nsample { n = 6 }\nreward = regex("[0-9]")', { file: 'x.sftgo' });
    assert.deepEqual(r.diagnostics, []);
    assert.deepEqual(analyzeObjective(r.objective!).onPolicy, { sample: { n: 6, temperature: 1, topP: 1, maxNew: 64 }, reward: { kind: 'regex', pattern: '[0-9]' } });
    const offline = compile('loss = mean(ce·advantage)', { file: 'y.sftgo' });
    assert.equal(analyzeObjective(offline.objective!).onPolicy, undefined);
  });
  it('command paths resolve against the folder of the file that names them, with the timeout in ms', () => {
    const r = compile('loss = mean(ce·advantage)\nsample { n = 2 }\nreward = command("./score.py", timeout = 2.5)', { file: '/tmp/x/main.sftgo', host: { readFile: () => undefined, resolve: (s) => s, programProblem: () => undefined } });
    assert.deepEqual(r.objective?.reward, { kind: 'command', path: '/tmp/x/score.py', timeoutMs: 2500 });
  });
  it('`reward` in an expression is still the token quantity', () => {
    const r = compile('loss = mean(ce·reward)\nsample { n = 2 }\nreward = exact()', { file: 'z.sftgo' });
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.objective!.requires.rewards, true);
  });
});
