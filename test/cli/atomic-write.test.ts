import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../../src/util/atomic.js';

describe('cli: writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces the content and leaves only the file behind', async () => {
    const path = join(dir, 'a.sftgo');
    writeFileSync(path, 'old');
    await writeFileAtomic(path, 'new');
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['a.sftgo']);
  });

  it('removes its temporary file when the final rename fails', async () => {
    // Renaming a file over a non-empty directory fails after the temporary file was written.
    const target = join(dir, 'target');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    await assert.rejects(writeFileAtomic(target, 'new'));
    assert.deepEqual(readdirSync(dir), ['target']);
    assert.deepEqual(readdirSync(target), ['keep']);
  });
});
