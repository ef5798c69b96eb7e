// Finding the torch engine's Python: a candidate without torch is a message naming what was tried
// and the install commands, never an exception; --device cuda without a GPU is refused before any
// training; --nproc must be a whole number.
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFile } from '../../../src/app/run.js';
import { BufferOutput } from '../../../src/cli/output.js';
import { parseOverrides } from '../../../src/cli/overrides.js';
import { repoRoot } from '../../helpers/golden.js';
import { findPython } from '../../../src/engine/torch/python-env.js';
import { planTorch } from '../../../src/engine/torch/index.js';
import { requireTorch } from './helpers.js';

describe('torch engine: finding Python and planning the run', function () {
  this.timeout(60_000);

  it('a --python that does not exist is a message naming it and the install commands', () => {
    const r = findPython('/nonexistent/python3');
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.message, /--python/);
    assert.match(r.message, /\/nonexistent\/python3: not found/);
    assert.match(r.message, /apt-get install python3-torch libopenblas0-pthread/);
    assert.match(r.message, /pip install torch/);
  });

  it('SFTGOC_PYTHON is the only candidate when set', () => {
    const r = findPython(undefined, { SFTGOC_PYTHON: '/nonexistent/py' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.message, /SFTGOC_PYTHON gave none \(\/nonexistent\/py: not found\)/);
  });

  it('--device cuda without a GPU and a bad --nproc are refused with messages', function () {
    const env = requireTorch(this);
    const bad = planTorch({ python: env.python, nproc: 0 });
    assert.equal(bad.ok, false);
    if (!bad.ok) assert.match(bad.problems[0]!, /--nproc 0/);
    if (!env.cuda) {
      const cuda = planTorch({ python: env.python, device: 'cuda' });
      assert.equal(cuda.ok, false);
      if (!cuda.ok) assert.match(cuda.problems[0]!, /--device cuda: .* without a usable CUDA device/);
    }
  });
});

describe('torch engine: a missing Python stops the run before anything is loaded', function () {
  this.timeout(60_000);

  it('train { engine = "torch" } chooses the torch engine without the flag (the same missing-Python stop)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sftgoc-preflight-'));
    try {
      const parsed = parseOverrides([], ['train.engine="torch"', `train.out="${join(dir, 'run')}"`]);
      assert.ok(parsed.ok);
      if (!parsed.ok) return;
      const out = new BufferOutput();
      const result = await runFile(join(repoRoot, 'examples/quickstart.sftgo'), {
        params: parsed.overrides.params, settings: parsed.overrides.settings, engineOptions: { python: '/nonexistent/python3' },
        skipBadRecords: false, quiet: true, json: false, tty: false, shouldStop: () => false,
      }, out);
      assert.equal(result.exitCode, 1, out.stderrText);
      assert.match(out.stderrText, /the torch engine needs a Python with PyTorch/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('run --engine torch --python /nonexistent exits 1 naming the Python, not the (also missing) data, and leaves no run directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sftgoc-preflight-'));
    try {
      const runDir = join(dir, 'run');
      const parsed = parseOverrides([], [`data.train="${join(dir, 'missing.jsonl')}"`, `train.out="${runDir}"`]);
      assert.ok(parsed.ok);
      if (!parsed.ok) return;
      const out = new BufferOutput();
      const result = await runFile(join(repoRoot, 'examples/quickstart.sftgo'), {
        params: parsed.overrides.params, settings: parsed.overrides.settings, engine: 'torch', engineOptions: { python: '/nonexistent/python3' },
        skipBadRecords: false, quiet: true, json: false, tty: false, shouldStop: () => false,
      }, out);
      assert.equal(result.exitCode, 1, out.stderrText);
      assert.match(out.stderrText, /\/nonexistent\/python3: not found/);
      assert.doesNotMatch(out.stderrText, /missing\.jsonl/);
      assert.equal(existsSync(runDir), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
