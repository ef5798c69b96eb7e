// The printed IR is surface syntax: compiling `loss = <printed loss>` again gives the same IR.
// This checks the printer's precedence and parenthesisation on random expressions.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { compile } from '../../src/compile.js';
import { memoryHost } from '../../src/check/host.js';
import { printExpr } from '../../src/ir/print.js';
import type { IrExpr } from '../../src/ir/nodes.js';

const atoms = fc.constantFrom('ce', 'p', 'entropy', 'λ', '2', '0.5', 'mean(ce)', 'step', 'sg(p)', '30%');
const expr: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atoms,
    fc.tuple(tie('e'), fc.constantFrom('+', '-', '*', '/', '^'), tie('e')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('e').map((a) => `-(${a})`),
    tie('e').map((a) => `exp(${a})`),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `max(${a}, ${b})`),
  ),
})).e;

function lossOf(source: string): IrExpr | undefined {
  const r = compile(source, { file: 'p.sftgo', host: memoryHost({}), optimize: false });
  return r.objective?.loss;
}

function withoutSpans(e: IrExpr): string {
  return JSON.stringify(e, (k, v) => (k === 'span' ? undefined : v));
}

describe('IR printer round trip', () => {
  it('compile(print(ir)) == ir for random arithmetic', () => {
    fc.assert(
      fc.property(expr, (text) => {
        const first = lossOf(`loss = ${text}`);
        fc.pre(first !== undefined); // constant-only losses are type errors; skip them
        const printed = printExpr(first!);
        const second = lossOf(`loss = ${printed}`);
        assert.ok(second !== undefined, `printed form does not compile: ${printed}`);
        assert.equal(withoutSpans(second!), withoutSpans(first!), printed);
      }),
      { numRuns: 150, seed: 7 },
    );
  });
});
