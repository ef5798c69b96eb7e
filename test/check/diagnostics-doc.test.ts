// docs/diagnostics.md is generated from allCodes(); this test fails when it is stale.
// Regenerate with `UPDATE_GOLDEN=1` (the same switch as the golden files).
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allCodes } from '../../src/codes.js';
import { repoRoot } from '../helpers/golden.js';

const RANGES: [RegExp, string][] = [
  [/^E01/, 'Syntax (E01xx)'],
  [/^[EW]02/, 'Names and imports (E02xx, W02xx)'],
  [/^E03/, 'Types (E03xx)'],
  [/^E04/, 'Settings (E04xx)'],
  [/^[EW]05/, 'Groups, selectors and scorers (E05xx, W05xx)'],
  [/^E06/, 'Limits (E06xx)'],
  [/^[EW]07/, 'On-policy training (E07xx, W07xx)'],
  [/^E09/, 'Internal (E09xx)'],
];

export function diagnosticsMarkdown(): string {
  const codes = allCodes();
  const out = [
    '# Diagnostics',
    '',
    '<!-- Generated from allCodes() (src/codes.ts) by test/check/diagnostics-doc.test.ts;',
    '     edit the code registries, then run `UPDATE_GOLDEN=1 npm test`. -->',
    '',
    'Every message of `sftgoc` has a stable code. Errors (`E`) stop compilation; warnings (`W`) do not.',
    'A message reads `FILE:LINE:COL: error[CODE]: message`, then the source line with carets under the',
    'span and, where a fix can be named, a `help:` line.',
    '',
  ];
  const sorted = Object.keys(codes).sort((a, b) => a.slice(1).localeCompare(b.slice(1)) || a.localeCompare(b));
  for (const [pattern, heading] of RANGES) {
    const inRange = sorted.filter((c) => pattern.test(c));
    if (inRange.length === 0) continue;
    out.push(`## ${heading}`, '');
    for (const code of inRange) out.push(`### ${code}: ${codes[code]!.title}`, '', codes[code]!.explanation, '');
  }
  const other = sorted.filter((c) => !RANGES.some(([p]) => p.test(c)));
  if (other.length > 0) {
    out.push('## Other', '');
    for (const code of other) out.push(`### ${code}: ${codes[code]!.title}`, '', codes[code]!.explanation, '');
  }
  return out.join('\n');
}

describe('docs/diagnostics.md', () => {
  it('lists every code with its title and explanation, and is up to date', () => {
    const path = join(repoRoot, 'docs', 'diagnostics.md');
    const expected = diagnosticsMarkdown();
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, expected);
    assert.ok(existsSync(path), 'docs/diagnostics.md is missing: run UPDATE_GOLDEN=1 npm test');
    assert.equal(readFileSync(path, 'utf8'), expected, 'docs/diagnostics.md is stale: run UPDATE_GOLDEN=1 npm test');
  });
  it('every code has a title and an explanation', () => {
    for (const [code, info] of Object.entries(allCodes())) {
      assert.match(code, /^[EW]\d{4}$/, code);
      assert.ok(info.title.length > 0 && info.explanation.length > 20, code);
    }
  });
});
