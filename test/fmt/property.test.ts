// Property: for generated sources (random operator spellings, spacing, `;`, blank lines, comments,
// blocks), formatting keeps the tree and comments and is a fixed point.
import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { hasErrors } from '../../src/diagnostics/diagnostic.js';
import { formatSource, withoutSpans } from '../../src/fmt/index.js';
import { parse } from '../../src/parse/index.js';

const space = fc.constantFrom(' ', '  ', '\t');
const name = fc.constantFrom('x', 'w', 'my_name', 'λ', 'lambda', 'tau', 'η');
const atom = fc.oneof(
  fc.constantFrom('0', '1', '0.5', '1e-5', '2.50', '30%', '0%', '100%', 'ce', 'p', 'groups', '"s"', '"a\\"b"'),
  name,
);
/** Inside brackets a newline does not end the statement, so lists may span lines and hold comments. */
const itemSeparator = fc.constantFrom(', ', ',', ',\n    ', ', # inside\n  ', ' ,\n// inside too\n');
const binaryOp = fc.constantFrom('+', '-', '−', '*', '·', '×', '/', '^', '<', '<=', '>', '>=', '==', '!=', 'and', '&', 'or', '|');

const expression: fc.Arbitrary<string> = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('e'), space, binaryOp, space, tie('e')).map((parts) => parts.join('')),
    fc.tuple(fc.constantFrom('-', 'not ', '!'), tie('e')).map(([op, e]) => `${op}(${e})`),
    tie('e').map((e) => `( ${e} )`),
    fc.tuple(fc.constantFrom('mean', 'max', 'exp', 'sg'), fc.array(tie('e'), { minLength: 1, maxLength: 3 }), itemSeparator).map(
      ([f, args, sep]) => `${f}(${args.join(sep)})`,
    ),
    fc.tuple(name, name).map(([a, b]) => `${a}[${b}]`),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `linear(${a} -> ${b}, over = 50%)`),
    fc.tuple(fc.constantFrom('top', 'bottom'), fc.constantFrom('10%', 'η'), fc.constantFrom('', ' per sample', ' per batch')).map(
      ([d, a, per]) => `tfidf(${d} ${a}${per})`,
    ),
    fc.tuple(fc.array(tie('e'), { maxLength: 3 }), itemSeparator).map(([items, sep]) => `[${items.join(sep)}]`),
  ),
})).e;

const comment = fc.constantFrom('', '', ' # note', '  // why', '#x  ');
const statement = fc.oneof(
  fc.tuple(fc.constantFrom('param', 'let', 'group'), name, expression).map(([kw, n, e]) => `${kw} ${n} = ${e}`),
  expression.map((e) => `loss = ${e}`),
  fc.tuple(fc.constantFrom('train', 'data', 'model'), fc.array(fc.tuple(fc.constantFrom('lr', 'epochs', 'path'), expression, comment), { maxLength: 3 })).map(
    ([block, entries]) => `${block} {\n${entries.map(([k, v, c]) => `  ${k}=${v}${c}`).join('\n')}\n}`,
  ),
);
const separator = fc.constantFrom('\n', '\n\n', '\n\n\n', '; ', '\n# own line\n');
const source = fc
  .tuple(fc.array(fc.tuple(statement, comment, separator), { minLength: 1, maxLength: 6 }))
  .map(([items]) => items.map(([s, c, sep]) => (sep.startsWith(';') ? `${s}${sep}` : `${s}${c}${sep}`)).join(''));

describe('fmt: generated sources', () => {
  it('keep their tree and comments, and formatting twice changes nothing', () => {
    let formattedCount = 0;
    fc.assert(
      fc.property(source, (text) => {
        const parsed = parse(text, 'gen.sftgo');
        fc.pre(!hasErrors(parsed.diagnostics) && parsed.ast !== undefined);
        const once = formatSource(text, 'gen.sftgo');
        assert.ok(once.ok, `could not format:\n${text}`);
        if (!once.ok) return;
        const reparsed = parse(once.formatted, 'gen.sftgo').ast;
        assert.deepEqual(withoutSpans(reparsed), withoutSpans(parsed.ast));
        const twice = formatSource(once.formatted, 'gen.sftgo');
        assert.ok(twice.ok && twice.formatted === once.formatted, `not a fixed point:\n${once.formatted}`);
        formattedCount++;
      }),
      { numRuns: 100, seed: 20250611 },
    );
    // Guard against a generator whose output the parser rejects: the property must have been exercised.
    assert.ok(formattedCount > 40, `only ${formattedCount} generated sources parsed`);
  });
});
