// compile() on mutated sources: never an internal error, every diagnostic inside its file, and
// whenever it returns an objective, that objective passes the verifier.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { compile } from '../../src/compile.js';
import { memoryHost } from '../../src/check/host.js';
import { verifyObjective } from '../../src/ir/verify.js';
import { repoRoot } from '../helpers/golden.js';
import { CONSTRUCTS } from '../ir/constructs.js';

const seeds = [
  ...Object.values(CONSTRUCTS),
  ...readdirSync(join(repoRoot, 'stdlib')).filter((f) => f.endsWith('.sftgo')).map((f) => readFileSync(join(repoRoot, 'stdlib', f), 'utf8')),
];
const fragments = [' ', '(', ')', '[', ']', ',', '=', '%', '·', '-', '->', 'groups', 'rest', 'ce', 'λ', 'η', 'top', 'per corpus', 'tfidf(', 'max(', 'mean(', 'and', 'not', '"x"', '0.5', '120%', '\n', ';', 'loss = ', 'group g = ', 'param η = ', 'import "std/sft"', 'train { lr = ', '}', 'of = ', 'x[', 'excess_loss()', 'x = ', 'groups = ', 'temperature = ', 'range = ', 'over = ', 'cvar(', 'where(', 'linear(', 'smoothmax(groups, '];

const mutation = fc.record({
  seed: fc.nat(seeds.length - 1),
  edits: fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), drop: fc.nat(6), insert: fc.constantFrom(...fragments) }), { minLength: 1, maxLength: 4 }),
});

function apply(source: string, edits: { at: number; drop: number; insert: string }[]): string {
  let s = source;
  for (const e of edits) {
    const i = Math.floor(e.at * s.length);
    s = s.slice(0, i) + e.insert + s.slice(i + e.drop);
  }
  return s;
}

describe('compile on mutated sources', () => {
  it('never fails internally, keeps spans inside the file and emits only verified IR', function () {
    this.timeout(30_000);
    fc.assert(
      fc.property(mutation, ({ seed, edits }) => {
        const source = apply(seeds[seed]!, edits);
        const r = compile(source, { file: 'm.sftgo', host: memoryHost({ 'm.sftgo': source }) });
        const internal = r.diagnostics.filter((d) => d.code === 'E0901' || d.code === 'E0199');
        assert.deepEqual(internal, [], `${JSON.stringify(source)}: ${internal.map((d) => d.message).join('; ')}`);
        for (const d of r.diagnostics) {
          const text = r.sources[d.span.file];
          if (text === undefined) continue; // std/ files and the prelude
          assert.ok(d.span.start.offset >= 0 && d.span.end.offset <= text.length && d.span.start.offset <= d.span.end.offset, `${d.code} span outside ${JSON.stringify(source)}`);
        }
        if (r.objective !== undefined) assert.deepEqual(verifyObjective(r.objective), [], JSON.stringify(source));
      }),
      { numRuns: 400, seed: 11 },
    );
  });
});
