// The real `sftgoc` binary in child processes: exit codes 0/1/2, streams, and the promise of CLI.md
// that `check` never loads TensorFlow.js (proved by recording every module the process loads).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/golden.js';
import { runCli } from './helpers/cli.js';

describe('cli: the sftgoc binary', function () {
  // Each case starts a Node process (about half a second, more under tsx).
  this.timeout(30_000);
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check: exit 1 with every diagnostic in the CLI.md format', () => {
    const bad = file('bad.sftgo', 'group g = tfdif(top 30%)\nloss = mean(0.5) + nope\n');
    const r = runCli(['check', bad]);
    assert.equal(r.status, 1, r.stderr);
    const heads = r.stdout.split('\n').filter((l) => /^\S+:\d+:\d+: error\[E\d{4}\]: /.test(l));
    assert.ok(heads.length >= 2, `expected several errors, got:\n${r.stdout}`);
    assert.ok(heads.every((h) => h.startsWith(`${bad}:`)));
    assert.match(r.stdout, /help: /);
    assert.match(r.stdout, /checked 1 file: \d+ errors?/);
  });

  it('check --json: one JSON document on stdout, the rendered diagnostics on stderr', () => {
    const bad = file('bad-json.sftgo', 'loss = mean(0.5) + nope\n');
    const r = runCli(['check', '--json', bad]);
    assert.equal(r.status, 1);
    const doc = JSON.parse(r.stdout) as { ok: boolean; errors: number; files: { file: string; diagnostics: { code: string; severity: string; span: { file: string; start: { line: number } } }[] }[] };
    assert.equal(doc.ok, false);
    assert.equal(doc.files[0]!.file, bad);
    assert.equal(doc.errors, doc.files[0]!.diagnostics.filter((d) => d.severity === 'error').length);
    assert.ok(doc.files[0]!.diagnostics.every((d) => /^[EW]\d{4}$/.test(d.code) && d.span.start.line === 1));
    assert.match(r.stderr, /error\[E\d{4}\]/);
  });

  it('exit 2 for bad usage reaches the shell', () => {
    const r = runCli(['check', '--no-such-flag', file('usage.sftgo', 'loss = mean(ce)\n')]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /Nonexistent flag: --no-such-flag/);
  });

  it('compile --emit ast --json prints the tree', () => {
    const good = file('ast.sftgo', 'loss = mean(ce)\n');
    const r = runCli(['compile', good, '--emit', 'ast', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { ok: boolean; ast: { kind: string; statements: { kind: string }[] } };
    assert.equal(doc.ok, true);
    assert.deepEqual(
      doc.ast.statements.map((s) => s.kind),
      ['Loss'],
    );
  });

  it('fmt --check exits 1 and changes nothing', () => {
    const messy = file('messy.sftgo', 'loss=mean( ce )\n');
    const r = runCli(['fmt', '--check', messy]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /would reformat/);
    assert.equal(readFileSync(messy, 'utf8'), 'loss=mean( ce )\n');
  });

  /** Runs the binary with the module-load recorder; returns its result and every module it loaded. */
  const recorder = pathToFileURL(join(repoRoot, 'test', 'cli', 'fixtures', 'record-imports.mjs')).href;
  function withRecorder(args: string[], name: string): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
    const log = join(dir, `${name}.log`);
    writeFileSync(log, '');
    const r = runCli(args, { nodeArgs: ['--import', recorder], env: { SFTGOC_IMPORT_LOG: log } });
    return { ...r, loaded: readFileSync(log, 'utf8').split('\n') };
  }
  const NO_TF =
    'oclif imports every command file at startup, so commands must import heavy modules inside run(), not at the top of the file';

  it('the module-load recorder would see an import of TensorFlow.js', () => {
    const log = join(dir, 'control.log');
    writeFileSync(log, '');
    // Resolving (not loading) TensorFlow.js is enough to show that a load would be recorded.
    const r = spawnSync(process.execPath, ['--import', recorder, '--input-type=module', '-e', "import.meta.resolve('@tensorflow/tfjs')"], {
      cwd: repoRoot,
      env: { ...process.env, SFTGOC_IMPORT_LOG: log },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(log, 'utf8'), /^esm file:.*\/@tensorflow\/tfjs\//m);
  });

  it('check: exit 0 and a summary for a good file, without loading TensorFlow.js', () => {
    const good = file('tf.sftgo', 'group important = tfidf(top 30%); loss = λ·max(groups) + (1-λ)·ce\n');
    const r = withRecorder(['check', good], 'check');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /checked 1 file: 0 errors, 0 warnings/);
    // The recorder worked in this process: it saw oclif (ESM and CommonJS) and the parser's chevrotain.
    assert.ok(r.loaded.some((l) => l.startsWith('esm ') && l.includes('/@oclif/core/')), 'recorder saw no ESM import of @oclif/core');
    assert.ok(r.loaded.some((l) => l.startsWith('cjs ') && l.includes('/@oclif/core/lib/')), 'recorder saw no CommonJS load');
    assert.ok(r.loaded.some((l) => l.includes('/chevrotain/')), 'recorder saw no chevrotain: did check run the parser?');
    assert.deepEqual(r.loaded.filter((l) => l.includes('@tensorflow')).slice(0, 5), [], `sftgoc check loaded TensorFlow.js; ${NO_TF}`);
  });

  it('compile --emit ir does not load TensorFlow.js either', () => {
    const r = withRecorder(['compile', file('tf-ir.sftgo', 'loss = mean(sg(p)·ce)\n'), '--emit', 'ir'], 'compile');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^objective tf-ir\n/);
    assert.deepEqual(r.loaded.filter((l) => l.includes('@tensorflow')).slice(0, 5), [], `sftgoc compile loaded TensorFlow.js; ${NO_TF}`);
  });
});
