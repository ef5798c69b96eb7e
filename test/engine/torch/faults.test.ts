// One rank of a 2-process torch run (gloo, the bundled tiny model, 3 steps) fails in update 2,
// injected through the program's SFTGOC_FAULT; the real `sftgoc` binary runs it. For each kind of
// failure: sftgoc exits within 30 s of the fault with CLI.md's code, names rank 1 and how it ended
// (an exit code, or a signal by name: never "code 128", never "diverged"), shows rank 1's own log,
// leaves no process of the run behind, and leaves a directory `run --resume` continues.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resumePoint } from '../../../src/train/checkpoint.js';
import { repoRoot } from '../../helpers/golden.js';
import { requireTorch, spawnSftgoc } from './helpers.js';

const fixtures = join(repoRoot, 'test', 'e2e', 'fixtures');

interface Ended {
  code: number | null;
  stderr: string;
  /** Seconds from the fault (its line in rank-1.log) to sftgoc's exit. */
  afterFault: number;
}

/** The processes whose command line names `dir` (the workers run RUN/torch/sftgoc_train.py). */
function processesOf(dir: string): string[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,stat=,args='], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes(dir) && l.includes('sftgoc_train.py'));
}

describe('torch engine: one rank failing (2 processes, gloo, SFTGOC_FAULT)', function () {
  this.timeout(180_000);
  let dir: string;
  let python = '';
  before(async function () {
    python = requireTorch(this).python;
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-torch-faults-'));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** Runs sftgoc with SFTGOC_FAULT; `atFault` is called once rank 1 has logged the fault. */
  function run(runDir: string, fault: string | undefined, env: NodeJS.ProcessEnv, atFault?: (pid: number) => void, resume = false): Promise<Ended> {
    const settings = [
      'train.batch=2', 'train.steps=3', 'train.save_every=1', 'train.eval_every=0', 'train.backend=wasm', 'data.max_len=64',
      `data.train=${JSON.stringify(join(fixtures, 'train-small.jsonl'))}`, `data.eval=${JSON.stringify(join(fixtures, 'eval-small.jsonl'))}`,
      `train.out=${JSON.stringify(runDir)}`,
    ].flatMap((s) => ['--set', s]);
    const args = resume
      ? ['run', '--resume', runDir, '--nproc', '2', '--python', python, '--quiet']
      : ['run', join(repoRoot, 'examples', 'quickstart.sftgo'), '--engine', 'torch', '--nproc', '2', '--device', 'cpu', '--python', python, '--quiet', ...settings];
    let faultAt: number | undefined;
    let watch: NodeJS.Timeout | undefined;
    const log = join(runDir, 'logs', 'rank-1.log');
    return spawnSftgoc(args, { SFTGOC_FAULT: fault ?? '', ...env }, (child) => {
      watch = setInterval(() => {
        if (faultAt === undefined && existsSync(log) && readFileSync(log, 'utf8').includes('SFTGOC_FAULT: rank 1')) {
          faultAt = Date.now();
          atFault?.(child.pid!);
        }
      }, 100);
    }).then(({ code, stderr }) => {
      clearInterval(watch);
      // Fault and exit both between two polls: the exit came less than one poll period (0.1 s) after it.
      if (faultAt === undefined && existsSync(log) && readFileSync(log, 'utf8').includes('SFTGOC_FAULT: rank 1')) return { code, stderr, afterFault: 0.1 };
      return { code, stderr, afterFault: faultAt === undefined ? NaN : (Date.now() - faultAt) / 1000 };
    });
  }

  async function assertResumable(runDir: string): Promise<void> {
    const point = await resumePoint(runDir);
    assert.ok(point.ok && point.checkpoint !== undefined, `no intact checkpoint in ${runDir}`);
    assert.equal(JSON.parse(await readFile(join(point.checkpoint!.dir, 'state.json'), 'utf8')).step, 1);
  }

  // Short collective timeout and grace periods, so that a hung rank is found in seconds.
  const quick = { SFTGOC_COLLECTIVE_TIMEOUT_S: '5', SFTGOC_PEER_GRACE_S: '3', SFTGOC_KILL_GRACE_S: '2' };
  const cases: Array<{ kind: string; code: number; says: RegExp[] }> = [
    { kind: 'oom', code: 3, says: [/training failed: out of memory on rank 1 at step 2/, /rank-1\.log/, /SFTGOC_FAULT: rank 1, step 2: oom/] },
    { kind: 'error', code: 3, says: [/a worker failed: rank 1 exited with code 1 \(an uncaught exception\) during step 2/, /ValueError: injected by SFTGOC_FAULT/] },
    { kind: 'exit', code: 3, says: [/a worker failed: rank 1 exited with code 9 during step 2/, /rank-1\.log/] },
    { kind: 'sigkill', code: 3, says: [/a worker failed: rank 1 was killed by SIGKILL during step 2/] },
    { kind: 'hang', code: 3, says: [/a worker failed: rank 1 stopped answering \(hung or stopped\) and was killed by sftgoc with SIGKILL/, /Timed out/] },
  ];
  // The five runs go at once (most of each is waiting: on a collective, a timeout, a grace period),
  // so the suite pays for about two of them; each test then checks its own.
  const ended = new Map<string, Promise<Ended>>();
  const started = () => {
    if (ended.size === 0) for (const c of cases) ended.set(c.kind, run(join(dir, c.kind), `rank=1,step=2,kind=${c.kind}`, quick));
  };
  for (const c of cases) {
    it(`${c.kind} on rank 1 at step 2: exit ${c.code} within 30 s naming rank 1, no process left, resumable`, async () => {
      started();
      const runDir = join(dir, c.kind);
      const r = await ended.get(c.kind)!;
      assert.equal(r.code, c.code, r.stderr);
      for (const re of c.says) assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /diverged|code 128|code null/);
      assert.ok(r.afterFault <= 30, `exited ${r.afterFault} s after the fault`);
      // Every run has ended by the last of these tests; a worker of this one must be gone now.
      assert.deepEqual(processesOf(runDir), []);
      await assertResumable(runDir);
    });
  }

  /** A copy of the bundled model in `name`, changed by `spoil`. */
  async function spoiledModel(name: string, spoil: (model: string) => Promise<void>): Promise<string> {
    const model = join(dir, name);
    await cp(join(repoRoot, 'assets', 'default', 'model'), model, { recursive: true });
    await spoil(model);
    return model;
  }

  /** One process, 2 steps of the quickstart on `model` into `runDir`. */
  function runOnModel(model: string, runDir: string): ReturnType<typeof spawnSftgoc> {
    return spawnSftgoc([
      'run', join(repoRoot, 'examples', 'quickstart.sftgo'), '--engine', 'torch', '--device', 'cpu', '--python', python, '--quiet',
      ...[`model.path=${JSON.stringify(model)}`, 'train.steps=2', 'train.backend=wasm', 'data.max_len=64',
        `data.train=${JSON.stringify(join(fixtures, 'train-small.jsonl'))}`, `data.eval=${JSON.stringify(join(fixtures, 'eval-small.jsonl'))}`,
        `train.out=${JSON.stringify(runDir)}`].flatMap((x) => ['--set', x]),
    ]);
  }

  it('a model file the program cannot read: exit 1 before training, naming rank 0 and its log; no process left', async () => {
    const model = await spoiledModel('broken-model', (m) => writeFile(join(m, 'model.safetensors'), Buffer.alloc(64, 7)));
    const runDir = join(dir, 'broken');
    const ended = await runOnModel(model, runDir);
    assert.equal(ended.code, 1, ended.stderr);
    assert.match(ended.stderr, /the torch program could not start: rank 0 exited with code 1 \(an uncaught exception\) before training started; its log is .*rank-0\.log/);
    assert.doesNotMatch(ended.stderr, /diverged|training failed/);
    assert.deepEqual(processesOf(runDir), []);
  });

  it('a model.path the tokenizer does not fit (a smaller vocabulary) is refused before the run directory is made: exit 1, the model named, no train.out', async () => {
    const model = await spoiledModel('short-model', async (m) => {
      const config = JSON.parse(await readFile(join(m, 'config.json'), 'utf8')) as Record<string, unknown>;
      await writeFile(join(m, 'config.json'), JSON.stringify({ ...config, vocab_size: 100 }));
    });
    const runDir = join(dir, 'short');
    const ended = await runOnModel(model, runDir);
    assert.equal(ended.code, 1, ended.stderr);
    assert.match(ended.stderr, /short-model: the tokenizer has 2048 tokens but the model only 100 embeddings/);
    assert.equal(existsSync(runDir), false, `${runDir} was left behind`);
  });

  it('a stopped rank and two Ctrl-C: sftgoc exits 130 at once and kills the workers; --resume then finishes the run', async () => {
    const runDir = join(dir, 'ctrl-c');
    // The default collective timeout (900 s): only the Ctrl-C can end this run.
    const ended = await run(runDir, 'rank=1,step=2,kind=hang', { SFTGOC_STOP_GRACE_S: '600' }, (pid) => {
      setTimeout(() => process.kill(pid, 'SIGINT'), 500);
      setTimeout(() => process.kill(pid, 'SIGINT'), 1500);
    });
    assert.equal(ended.code, 130, ended.stderr);
    assert.ok(ended.afterFault <= 30, `exited ${ended.afterFault} s after the fault`);
    // The workers die with their group's SIGKILL; give the kernel a moment to reap them.
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(processesOf(runDir), []);
    await assertResumable(runDir);
    const resumed = await run(runDir, undefined, {}, undefined, true);
    assert.equal(resumed.code, 0, resumed.stderr);
    const steps = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    assert.deepEqual(steps, [1, 2, 3]);
    assert.deepEqual(processesOf(runDir), []);
  });
});
