// `check` and `compile` in-process with the real compiler: what is printed where, and exit codes.
import { strict as assert } from 'node:assert';
import { runCheck } from '../../src/cli/check-files.js';
import { runCompile, type EmitKind } from '../../src/cli/compile-file.js';
import { checkSource, compileStages } from '../../src/cli/compiler-bridge.js';
import { BufferOutput } from '../../src/cli/output.js';
import { parseOverrides, type Overrides } from '../../src/cli/overrides.js';
import { expectGolden } from '../helpers/golden.js';

const ERRORS = 'test/cli/fixtures/errors.sftgo';
const MESSY = 'test/fmt/fixtures/messy.sftgo';
const SFTGO_CARD = 'test/cli/fixtures/card.sftgo';
const none: Overrides = { params: [], settings: [] };

function overrides(...params: string[]): Overrides {
  const r = parseOverrides(params, []);
  assert.ok(r.ok);
  return r.overrides;
}

async function check(files: string[], json = false, quiet = false, o = none) {
  const out = new BufferOutput();
  const code = await runCheck(files, { json, quiet, overrides: o }, checkSource, out);
  return { code, stdout: out.stdoutText, stderr: out.stderrText };
}

async function compile(file: string, emit: EmitKind, json = false, o = none) {
  const out = new BufferOutput();
  const code = await runCompile(file, { emit, json, quiet: false, overrides: o }, compileStages, out);
  return { code, stdout: out.stdoutText, stderr: out.stderrText };
}

function withSet(params: string[], sets: string[]): Overrides {
  const r = parseOverrides(params, sets);
  assert.ok(r.ok);
  return r.overrides;
}

describe('cli: check', () => {
  it('applies --param expressions and --set settings, and reports a bad --set key with a did-you-mean', async () => {
    const ok = await check([SFTGO_CARD], false, false, withSet(['λ=linear(0.9 -> 0.1)'], ['train.lr=1e-4']));
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const bad = await check([SFTGO_CARD], false, false, withSet([], ['train.lrr=1e-4']));
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /help: .*`?lr`?/);
  });

  it('prints every diagnostic of a file in the CLI.md format, then a summary (golden)', async () => {
    const r = await check([ERRORS]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, '');
    expectGolden('cli/check-errors.txt', r.stdout);
    const heads = r.stdout.split('\n').filter((l) => l.startsWith(`${ERRORS}:`));
    assert.ok(heads.length >= 3, 'all errors of the file, not only the first');
  });

  it('exits 0 for a correct file and 1 when any of several files has an error', async () => {
    assert.equal((await check([SFTGO_CARD])).code, 0);
    const both = await check([SFTGO_CARD, ERRORS]);
    assert.equal(both.code, 1);
    assert.match(both.stdout, /checked 2 files: \d+ errors, 0 warnings\n$/);
  });

  it('--quiet drops the summary', async () => {
    const r = await check([SFTGO_CARD], false, true);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, '');
  });

  it('--json: the result on stdout, the same diagnostics rendered on stderr', async () => {
    const human = await check([ERRORS]);
    const r = await check([ERRORS], true);
    assert.equal(r.code, 1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; errors: number; warnings: number; files: { file: string; diagnostics: { code: string }[] }[] };
    assert.equal(doc.ok, false);
    assert.equal(doc.files[0]!.file, ERRORS);
    assert.equal(doc.errors, doc.files[0]!.diagnostics.length);
    assert.equal(r.stderr, human.stdout);
  });

  it('applies --param and reports a param the file does not have', async () => {
    assert.equal((await check([SFTGO_CARD], false, false, overrides('lambda=0.5'))).code, 0);
    const r = await check([SFTGO_CARD], false, false, overrides('nope=1'));
    assert.equal(r.code, 1);
    assert.match(r.stdout, /--param nope: the objective has no param `nope`/);
  });

  it('a file that cannot be read is exit 2, and the other files are still checked', async () => {
    const r = await check(['test/cli/fixtures/absent.sftgo', ERRORS]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /error: cannot read test\/cli\/fixtures\/absent\.sftgo: no such file/);
    assert.match(r.stdout, /checked 1 file/);
  });
});

describe('cli: compile', () => {
  it('--emit ast prints the syntax tree as JSON', async () => {
    const r = await compile(MESSY, 'ast');
    assert.equal(r.code, 0, r.stderr);
    const ast = JSON.parse(r.stdout) as { kind: string; statements: { kind: string }[]; comments: unknown[] };
    assert.equal(ast.kind, 'SourceFile');
    assert.ok(ast.statements.some((s) => s.kind === 'Loss'));
    assert.ok(ast.comments.length > 0);
  });

  it('--emit ir prints the objective IR as text, and as JSON under --json', async () => {
    const text = await compile(SFTGO_CARD, 'ir', false, overrides('λ=0.5'));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^objective card\n/);
    assert.match(text.stdout, /param λ = 0\.5 {2}# overridden/);
    const json = await compile(SFTGO_CARD, 'ir', true);
    const doc = JSON.parse(json.stdout) as { ok: boolean; diagnostics: unknown[]; ir: { name: string; loss: unknown } };
    assert.equal(doc.ok, true);
    assert.equal(doc.ir.name, 'card');
    assert.ok(doc.ir.loss !== undefined);
  });

  it('errors go to stderr, nothing to stdout, exit 1; under --json the document says so', async () => {
    for (const emit of ['ast', 'ir'] as const) {
      const source = emit === 'ast' ? 'test/cli/fixtures/syntax-error.sftgo' : ERRORS;
      const r = await compile(source, emit);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /: error\[E\d{4}\]: /);
      const j = await compile(source, emit, true);
      const doc = JSON.parse(j.stdout) as Record<string, unknown>;
      assert.equal(doc.ok, false);
      assert.equal(doc[emit], null);
      assert.ok((doc.diagnostics as unknown[]).length > 0);
    }
  });

  it('--emit plan prints the execution plan (the lowering stage), and its JSON under --json', async () => {
    const r = await compile(SFTGO_CARD, 'plan');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^plan /);
    assert.match(r.stdout, /static scorer tfidf\(smooth = true, sublinear = false\)/);
    const j = await compile(SFTGO_CARD, 'plan', true);
    const doc = JSON.parse(j.stdout) as { ok: boolean; plan: { head: { computes: string[] } } };
    assert.equal(doc.ok, true);
    assert.deepEqual(doc.plan.head.computes, ['ce']);
  });
});
