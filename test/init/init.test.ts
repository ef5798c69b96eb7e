// `sftgoc init`: the starter files, that the objective compiles clean and groups its own data, and
// that init refuses to overwrite anything.
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferOutput } from '../../src/cli/output.js';
import { compile, compileFile } from '../../src/compile.js';
import { hasErrors } from '../../src/diagnostics/diagnostic.js';
import { runGroups } from '../../src/app/groups.js';
import { runInit, starterFiles } from '../../src/app/init.js';

describe('sftgoc init', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-init-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the objective, prompt-completion data and a README into a new directory', async () => {
    const target = join(dir, 'starter');
    const out = new BufferOutput();
    assert.equal(await runInit(target, { quiet: false, json: false }, out), 0, out.stderrText);
    assert.deepEqual((await readdir(target)).sort(), ['README.md', 'data', 'objective.sftgo']);
    assert.deepEqual((await readdir(join(target, 'data'))).sort(), ['eval.jsonl', 'train.jsonl']);
    for (const file of ['train.jsonl', 'eval.jsonl']) {
      const lines = (await readFile(join(target, 'data', file), 'utf8')).trim().split('\n');
      assert.ok(lines.length >= 3, file);
      for (const l of lines) {
        const r = JSON.parse(l);
        assert.deepEqual(Object.keys(r).sort(), ['completion', 'prompt']);
        assert.ok(r.completion.startsWith(' '));
      }
    }
    const readme = await readFile(join(target, 'README.md'), 'utf8');
    assert.match(readme, /prompt-completion/);
    assert.match(readme, /sftgoc run objective\.sftgo/);
    assert.match(out.stdoutText, /wrote .*objective\.sftgo/);
  });

  it('writes an objective that passes sftgoc check: SFT-GO with a tfidf group', async () => {
    const text = starterFiles().find((f) => f.path === 'objective.sftgo')!.text;
    const inMemory = compile(text, { file: 'objective.sftgo' });
    assert.deepEqual(inMemory.diagnostics, []);
    assert.deepEqual(inMemory.objective!.partition.groups.map((g) => g.name), ['important']);
    await runInit(dir, { quiet: true, json: false }, new BufferOutput());
    const onDisk = compileFile(join(dir, 'objective.sftgo'));
    assert.ok(!hasErrors(onDisk.diagnostics), JSON.stringify(onDisk.diagnostics));
    assert.equal(onDisk.diagnostics.length, 0);
  });

  it('its data loads and groups under its own objective (sftgoc groups)', async () => {
    await runInit(dir, { quiet: true, json: false }, new BufferOutput());
    const out = new BufferOutput();
    const code = await runGroups(join(dir, 'objective.sftgo'), {
      params: [], settings: [], limit: 2, format: 'jsonl', skipBadRecords: false, quiet: true, colour: false,
    }, out);
    assert.equal(code, 0, out.stderrText);
    const tokens = out.stdoutText.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(tokens.some((t) => t.group === 'important') && tokens.some((t) => t.group === 'rest'));
  });

  it('refuses to overwrite: names every existing file, writes nothing, exits 1', async () => {
    await writeFile(join(dir, 'objective.sftgo'), 'loss = mean(ce)\n');
    await writeFile(join(dir, 'README.md'), 'mine\n');
    const out = new BufferOutput();
    assert.equal(await runInit(dir, { quiet: false, json: true }, out), 1);
    assert.match(out.stderrText, /will not overwrite .*objective\.sftgo, .*README\.md/);
    assert.deepEqual(JSON.parse(out.stdoutText).existing, [join(dir, 'objective.sftgo'), join(dir, 'README.md')]);
    assert.equal(await readFile(join(dir, 'objective.sftgo'), 'utf8'), 'loss = mean(ce)\n');
    assert.deepEqual((await readdir(dir)).sort(), ['README.md', 'objective.sftgo']);
  });
});
