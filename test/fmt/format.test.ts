// The formatter: a golden messy file, specific layout rules, and for every stdlib and example file
// (globbed at test time) idempotence and "the formatted source parses to the same tree".
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatSource, sameTree, withoutSpans } from '../../src/fmt/index.js';
import { parse } from '../../src/parse/index.js';
import { expectGolden, repoRoot } from '../helpers/golden.js';
import { BufferOutput } from '../../src/cli/output.js';

const fixtures = join(repoRoot, 'test', 'fmt', 'fixtures');

function fmt(source: string, file = 'test.sftgo'): string {
  const result = formatSource(source, file);
  if (!result.ok) assert.fail(`formatting failed: ${result.internal ?? JSON.stringify(result.diagnostics, null, 2)}`);
  return result.formatted;
}

/** Formats, then checks the two promises of `fmt`: same tree (and comments), and a fixed point. */
function assertCanonical(source: string, file: string): string {
  const once = fmt(source, file);
  const before = parse(source, file).ast;
  const after = parse(once, file).ast;
  assert.ok(before !== undefined && after !== undefined);
  assert.deepEqual(withoutSpans(after), withoutSpans(before), `${file}: the formatted source parses to a different tree`);
  assert.equal(fmt(once, file), once, `${file}: formatting twice changed the text`);
  return once;
}

/** Every .sftgo file under `dir`, subfolders included (stdlib/paper, examples/experiment). */
function sftgoFiles(dir: string): string[] {
  const abs = join(repoRoot, dir);
  if (!existsSync(abs)) return [];
  return readdirSync(abs, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.sftgo'))
    .sort()
    .map((f) => join(dir, f));
}

describe('fmt: canonical layout', () => {
  it('formats a messy file as the golden file says, keeping every comment', () => {
    const source = readFileSync(join(fixtures, 'messy.sftgo'), 'utf8');
    const formatted = assertCanonical(source, 'messy.sftgo');
    expectGolden('fmt/messy.sftgo', formatted);
    for (const c of parse(source, 'messy.sftgo').ast!.comments) {
      assert.ok(formatted.includes(`${c.marker}${c.text.trimEnd()}`), `comment lost: ${c.text}`);
    }
  });

  it('keeps every operator as written and normalises only the spacing around it', () => {
    assert.equal(fmt('param a=1\nloss=a·ce+(1−a)×ce'), 'param a = 1\nloss = a·ce + (1 − a) × ce\n');
    assert.equal(fmt('loss = a * ce  -  b·ce'), 'loss = a * ce - b·ce\n');
    // The paper's product dot binds tight, whatever spacing it was written with.
    assert.equal(fmt('loss = λ · max(groups) + ( 1-λ ) · ce'), 'loss = λ·max(groups) + (1 - λ)·ce\n');
    assert.equal(fmt('loss = −ce + -ce'), 'loss = −ce + -ce\n');
  });

  it('keeps identifiers, numbers and parentheses as written', () => {
    assert.equal(fmt('loss = ((lambda))·1e-5 + λ*0.50'), 'loss = ((lambda))·1e-5 + λ * 0.50\n');
  });

  it('keeps the card one-liner on one line, in the paper\'s notation', () => {
    const card = 'group important = tfidf(top 30%); loss = λ·max(groups) + (1 - λ)·ce\n';
    assert.equal(fmt(card), card);
    assert.equal(fmt('group important = tfidf(top 30%);loss = λ·max(groups) + (1-λ)·ce'), card);
  });

  it('puts statements written on separate lines on separate lines', () => {
    assert.equal(fmt('param a = 1\n  loss = a·ce'), 'param a = 1\nloss = a·ce\n');
  });

  it('collapses runs of blank lines to one and drops them at the ends of the file', () => {
    assert.equal(fmt('\n\n\nparam a = 1\n\n\n\nparam b = 2\nparam c = 3\n\n\n'), 'param a = 1\n\nparam b = 2\nparam c = 3\n');
  });

  it('expands a block to one entry a line, two spaces in, without blank lines at its edges', () => {
    assert.equal(fmt('train {\n\n lr = 1e-4, epochs = 3\n\n}'), 'train {\n  lr = 1e-4\n  epochs = 3\n}\n');
    assert.equal(fmt('data { }'), 'data {}\n');
  });

  it('keeps a block written on one line on one line', () => {
    assert.equal(fmt('model  {preset="tiny",  max_len = 64}'), 'model { preset = "tiny", max_len = 64 }\n');
  });

  it('keeps trailing comments on their line and own-line comments on their own', () => {
    const source = '# head\nparam a = 1 # trailing\n\n// own\nloss = a * ce\n';
    assert.equal(fmt(source), '# head\nparam a = 1  # trailing\n\n// own\nloss = a * ce\n');
  });

  it('moves a comment from inside a multi-line statement to the line above it', () => {
    assert.equal(fmt('loss = (ce +  # why\n  logp)  # end\n'), '# why\nloss = (ce + logp)  # end\n');
  });

  it('keeps the spelling of boolean operators and writes schedules canonically', () => {
    assert.equal(fmt('group g = !(p>0.5) & (p<0.9) | (p==1)'), 'group g = !(p > 0.5) & (p < 0.9) | (p == 1)\n');
    assert.equal(fmt('group g = not(p>0.5) and (p<0.9) or (p==1)'), 'group g = not (p > 0.5) and (p < 0.9) or (p == 1)\n');
    assert.equal(fmt('param λ = linear(0.9→0.05, over=50%)'), 'param λ = linear(0.9 -> 0.05, over = 50%)\n');
  });

  it('re-escapes strings', () => {
    assert.equal(fmt('group g = regex("a\\"b\\\\c\\n")'), 'group g = regex("a\\"b\\\\c\\n")\n');
  });

  it('formats an empty file to an empty file', () => {
    assert.equal(fmt(''), '');
    assert.equal(fmt('\n\n'), '');
  });

  it('refuses a file with syntax errors and returns its diagnostics', () => {
    const result = formatSource('loss = (ce +\nparam = 3', 'bad.sftgo');
    assert.equal(result.ok, false);
    if (!result.ok) {
      assert.ok(result.diagnostics.length > 0);
      assert.ok(result.diagnostics.every((d) => d.span.file === 'bad.sftgo'));
    }
  });
});

describe('fmt: every stdlib and example file', () => {
  const files = [...sftgoFiles('stdlib'), ...sftgoFiles('examples'), ...sftgoFiles('test/fmt/fixtures')];
  it('finds files to format', () => assert.ok(files.length > 0));
  for (const file of files) {
    it(`${file}: idempotent and tree-preserving`, () => {
      assertCanonical(readFileSync(join(repoRoot, file), 'utf8'), file);
    });
  }
});

describe('sftgoc fmt --check on the shipped files', () => {
  it('passes on every .sftgo under stdlib/ and examples/, subfolders included, through the command', async () => {
    const { runFmt } = await import('../../src/cli/format-files.js');
    const files = [...sftgoFiles('stdlib'), ...sftgoFiles('examples')].map((f) => join(repoRoot, f));
    assert.ok(files.length >= 10);
    const out = new BufferOutput();
    const code = await runFmt(files, { check: true, json: false, quiet: false }, out);
    assert.equal(code, 0, out.stdoutText + out.stderrText);
  });
});

describe('fmt: sameTree', () => {
  it('ignores positions but not what was written', () => {
    const a = parse('loss = mean(ce)', 'a.sftgo').ast!;
    const b = parse('loss   =   mean( ce )', 'a.sftgo').ast!;
    const c = parse('loss = mean(logp)', 'a.sftgo').ast!;
    assert.ok(sameTree(a, b));
    assert.ok(!sameTree(a, c));
  });
});
