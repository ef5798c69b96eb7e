// `sftgoc fmt` in-process: rewriting, --check, syntax errors, unreadable files, --json.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFmt } from '../../src/cli/format-files.js';
import { BufferOutput } from '../../src/cli/output.js';

const MESSY = 'param a=1\n  loss=a · ce\n';
const CANONICAL = 'param a = 1\nloss = a·ce\n';
const BROKEN = 'loss = (ce +\n';

describe('cli: fmt', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-fmt-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('rewrites files in place, keeps their mode, and leaves no temporary file', async () => {
    const messy = file('messy.sftgo', MESSY);
    chmodSync(messy, 0o640);
    const clean = file('clean.sftgo', CANONICAL);
    const out = new BufferOutput();
    assert.equal(await runFmt([messy, clean], { check: false, json: false, quiet: false }, out), 0);
    assert.equal(readFileSync(messy, 'utf8'), CANONICAL);
    assert.equal(statSync(messy).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir).sort(), ['clean.sftgo', 'messy.sftgo']);
    assert.equal(out.stdoutText, `reformatted ${messy}\n1 reformatted, 1 unchanged\n`);
  });

  it('--check changes nothing, lists what would change and exits 1', async () => {
    const messy = file('messy.sftgo', MESSY);
    const clean = file('clean.sftgo', CANONICAL);
    const out = new BufferOutput();
    assert.equal(await runFmt([messy, clean], { check: true, json: false, quiet: false }, out), 1);
    assert.equal(readFileSync(messy, 'utf8'), MESSY);
    assert.match(out.stdoutText, new RegExp(`would reformat ${messy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    out.out.length = 0;
    assert.equal(await runFmt([clean], { check: true, json: false, quiet: false }, out), 0);
  });

  it('leaves a file with syntax errors alone, prints its diagnostics in the CLI format and exits 1', async () => {
    const broken = file('broken.sftgo', BROKEN);
    const messy = file('messy.sftgo', MESSY);
    const out = new BufferOutput();
    assert.equal(await runFmt([broken, messy], { check: false, json: false, quiet: false }, out), 1);
    assert.equal(readFileSync(broken, 'utf8'), BROKEN);
    assert.equal(readFileSync(messy, 'utf8'), CANONICAL, 'the good file is still formatted');
    assert.match(out.stderrText, new RegExp(`^${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: error\\[E\\d{4}\\]: `, 'm'));
    assert.match(out.stderrText, /\n {2}\|\n1 \| loss = \(ce \+\n/);
  });

  it('names a file that cannot be read and exits 2', async () => {
    const out = new BufferOutput();
    assert.equal(await runFmt([join(dir, 'missing.sftgo')], { check: false, json: false, quiet: false }, out), 2);
    assert.match(out.stderrText, /error: cannot read .*missing\.sftgo: no such file/);
  });

  it('--json puts one result document on stdout and the human text on stderr', async () => {
    const messy = file('messy.sftgo', MESSY);
    const broken = file('broken.sftgo', BROKEN);
    const out = new BufferOutput();
    assert.equal(await runFmt([messy, broken], { check: true, json: true, quiet: false }, out), 1);
    const doc = JSON.parse(out.stdoutText) as { ok: boolean; files: { file: string; status: string; diagnostics: { code: string }[] }[] };
    assert.equal(doc.ok, false);
    assert.deepEqual(
      doc.files.map((f) => [f.file, f.status]),
      [
        [messy, 'would-reformat'],
        [broken, 'syntax-errors'],
      ],
    );
    assert.ok(doc.files[1]!.diagnostics.length > 0);
    assert.match(out.stderrText, /would reformat/);
  });
});
