// The run directory under faults, through the real command in child processes: SIGTERM and kill -9
// in the middle of a run, then --resume, give the same final weights, byte for byte, as a run that
// was never stopped; a kill leaves no temporary folder behind after the resume; a second run on a
// directory in use exits 1 naming the process that holds it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferOutput } from '../../src/cli/output.js';
import { runFile } from '../../src/app/run.js';
import { claimRunDirectory } from '../../src/train/run-claim.js';
import { lockRunDirectory } from '../../src/train/run-lock.js';
import { repoRoot } from '../helpers/golden.js';

const bin = join(repoRoot, 'bin', 'run.js');
const fixtures = join(repoRoot, 'test', 'e2e', 'fixtures');
const STEPS = 10;

function start(args: string[], cwd: string): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) => child.on('exit', (code, signal) => res({ code, signal, stderr })));
  return { child, done };
}

async function stepsWritten(runDir: string, atLeast: number, timeoutMs = 30000): Promise<void> {
  const file = join(runDir, 'metrics.jsonl');
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (existsSync(file) && readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length >= atLeast) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${file}: fewer than ${atLeast} steps after ${timeoutMs} ms`);
}

describe('abuse: the run directory under signals, kills and a second run', function () {
  this.timeout(120000);
  let dir: string;
  const objective = () => join(dir, 'o.sftgo');
  const weights = (run: string) => readFileSync(join(dir, run, 'final', 'model.safetensors'));
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-faults-'));
    writeFileSync(objective(), [
      'loss = mean(ce)',
      'model { preset = "tiny" }',
      `data { train = ${JSON.stringify(join(fixtures, 'train-small.jsonl'))}, eval = ${JSON.stringify(join(fixtures, 'eval-small.jsonl'))}, max_len = 64 }`,
      `train { steps = ${STEPS}, batch = 2, save_every = 2, eval_every = 0, backend = "wasm", seed = 7 }`,
      '',
    ].join('\n'));
    const reference = start(['run', objective(), '--set', 'train.out="ref"', '-q'], dir);
    const r = await reference.done;
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('SIGTERM checkpoints and exits 143; --resume ends with the same weights', async () => {
    const run = start(['run', objective(), '--set', 'train.out="term"', '-q'], dir);
    await stepsWritten(join(dir, 'term'), 3);
    run.child.kill('SIGTERM');
    const stopped = await run.done;
    assert.equal(stopped.code, 143, stopped.stderr);
    const resumed = await start(['run', objective(), '--resume', 'term', '-q'], dir).done;
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(weights('term').equals(weights('ref')), 'final weights differ from the uninterrupted run');
  });

  it('kill -9, then --resume: leftovers of the save are cleaned, the lock is taken over, the weights are the same', async () => {
    const run = start(['run', objective(), '--set', 'train.out="killed"', '-q'], dir);
    await stepsWritten(join(dir, 'killed'), 3);
    run.child.kill('SIGKILL');
    assert.equal((await run.done).signal, 'SIGKILL');
    // What a kill in the middle of a save leaves (src/util/atomic.ts names temporaries this way).
    const leftover = join(dir, 'killed', 'checkpoints', `.step-99.tmp-${run.child.pid}-0badf00d`);
    mkdirSync(leftover, { recursive: true });
    const resumed = await start(['run', objective(), '--resume', 'killed', '-q'], dir).done;
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(!existsSync(leftover), 'the interrupted save was not cleaned up');
    assert.ok(weights('killed').equals(weights('ref')), 'final weights differ from the uninterrupted run');
  });

  it('a second run on a directory in use exits 1 naming the holder', async () => {
    // As a run does: the directory claimed (its marker) first, then locked.
    assert.ok(claimRunDirectory(join(dir, 'busy')).ok);
    const held = await lockRunDirectory(join(dir, 'busy'));
    assert.ok(held.ok);
    try {
      const out = new BufferOutput();
      const set = (key: string, text: string) => ({ block: 'train' as const, key, text, flag: `train.${key}=${text}` });
      const result = await runFile(objective(), { params: [], settings: [set('out', JSON.stringify(join(dir, 'busy')))], skipBadRecords: false, quiet: true, json: false, tty: false, shouldStop: () => false }, out);
      assert.equal(result.exitCode, 1);
      assert.match(out.stderrText, new RegExp(`in use by another sftgoc run: pid ${process.pid} `));
    } finally {
      await held.lock.release();
    }
  });
});
