import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDirAtomic } from '../../src/util/atomic.js';

describe('atomic directory writes', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-atomic-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('leaves nothing behind when filling fails part-way', async () => {
    await assert.rejects(
      writeDirAtomic(join(dir, 'step-5'), async (temp) => {
        await writeFile(join(temp, 'model.safetensors'), 'half');
        throw new Error('disk full');
      }),
      /disk full/,
    );
    assert.deepEqual(await readdir(dir), []);
  });

  it('replaces an existing directory with the complete new version', async () => {
    await writeDirAtomic(join(dir, 'final'), async (temp) => writeFile(join(temp, 'a'), 'old'));
    await writeDirAtomic(join(dir, 'final'), async (temp) => writeFile(join(temp, 'b'), 'new'));
    assert.deepEqual(await readdir(join(dir, 'final')), ['b']);
    assert.equal(await readFile(join(dir, 'final', 'b'), 'utf8'), 'new');
    assert.deepEqual(await readdir(dir), ['final']);
  });
});
