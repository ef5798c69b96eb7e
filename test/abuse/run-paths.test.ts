// Issue 18's reproducers for run directories, output paths and --resume, through the real command in
// child processes: each must end within a bound with the documented exit code and a message naming
// the input, and leave the user's files byte for byte as they were.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { MARKER } from '../../src/train/run-claim.js';
import { outputDirProblem } from '../../src/train/output-dir.js';
import { repoRoot } from '../helpers/golden.js';
import { torchPython } from '../engine/torch/helpers.js';

const bin = join(repoRoot, 'bin', 'run.js');
const fixtures = join(repoRoot, 'test', 'e2e', 'fixtures');
const BOUND_MS = 10_000;

interface Ran { code: number | null; stdout: string; stderr: string; ms: number }

/** Runs sftgoc in `cwd`; a run past `bound` ms is killed and fails the test (no process left behind). */
function sftgoc(args: string[], cwd: string, bound = BOUND_MS): Promise<Ran> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), bound);
  return new Promise((res) => child.on('exit', (code) => {
    clearTimeout(timer);
    const ms = performance.now() - t0;
    assert.ok(ms < bound, `sftgoc ${args.join(' ')} took ${ms.toFixed(0)} ms (bound ${bound} ms)`);
    res({ code, stdout, stderr, ms });
  }));
}

/** Every file under `dir` with its bytes, for "untouched" checks. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p).toString('base64'));
    }
  };
  walk(dir);
  return out;
}

describe('abuse: run directories are created by sftgoc or refused', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-rundir-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('train.out = the model folder itself is refused (exit 1, named) and the folder stays byte-identical', async function () {
    const source = join(repoRoot, 'assets', 'default', 'model');
    if (!existsSync(join(source, 'config.json'))) this.skip();
    const model = join(dir, 'm');
    cpSync(source, model, { recursive: true });
    const before = snapshot(model);
    const r = await sftgoc(['run', join(repoRoot, 'stdlib', 'sft.sftgo'), '--set', `model.path=${model}`, '--set', `train.out=${model}`, '--set', 'train.steps=1'], dir);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`train\\.out ${model}: .*not created by sftgoc`));
    assert.deepEqual(snapshot(model), before);
  });

  it('a non-empty directory without the marker is refused; an empty one is claimed', async () => {
    const foreign = join(dir, 'notes');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'todo.txt'), 'mine\n');
    const r = await sftgoc(['run', join(repoRoot, 'stdlib', 'sft.sftgo'), '--set', `train.out=${foreign}`, '--set', 'train.steps=1'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /notes: the directory exists, is not empty/);
    assert.deepEqual(readdirSync(foreign), ['todo.txt']);
  });
});

describe('abuse: output paths are checked before any work, in bounded time', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-paths-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const sft = () => join(repoRoot, 'stdlib', 'sft.sftgo');

  for (const [out, why] of [
    ['/proc/x', /\/proc is on the kernel's proc file system/],
    ['/sys/x', /\/sys is on the kernel's sysfs file system/],
    ['/dev/null', /\/dev\/null: exists and is a character device, not a directory/],
    ['/dev/null/x', /\/dev\/null is a character device/],
  ] as const) {
    it(`run --set train.out=${out}: exit 1 naming it, never "free some space"`, async () => {
      const r = await sftgoc(['run', sft(), '--set', `train.out=${out}`, '--set', 'train.steps=1'], dir);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, why);
      assert.doesNotMatch(r.stderr, /free some space/);
    });
  }

  it('train.out an existing file: exit 1, the file untouched', async () => {
    const file = join(dir, 'results.txt');
    writeFileSync(file, 'keep me\n');
    const r = await sftgoc(['run', sft(), '--set', `train.out=${file}`, '--set', 'train.steps=1'], dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /results\.txt: exists and is a file, not a directory/);
    assert.equal(readFileSync(file, 'utf8'), 'keep me\n');
  });

  it('compile --emit torch --out /proc/x and compare --out /proc/x: exit 1 at once', async () => {
    const c = await sftgoc(['compile', sft(), '--emit', 'torch', '--out', '/proc/x'], dir);
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stderr, /--out \/proc\/x: \/proc is on the kernel's proc file system/);
    const m = await sftgoc(['compare', sft(), '--seeds', '1', '--out', '/proc/x'], dir);
    assert.equal(m.code, 1, m.stderr);
    assert.match(m.stderr, /--out \/proc\/x: /);
  });

  it('a read-only directory (chmod 0555) is not writable (as root, which ignores modes, only the probe decides)', async function () {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    try {
      const problem = outputDirProblem(join(ro, 'run'), 'train.out');
      // Root writes anyway: the probe file is really created, so the check agrees with what a run would meet.
      if (process.getuid?.() === 0) {
        assert.equal(problem, undefined);
        assert.deepEqual(readdirSync(ro), [], 'the probe file was left behind');
        this.skip();
      }
      assert.match(problem ?? '', /ro is not writable \(permission denied\)/);
      const r = await sftgoc(['run', sft(), '--set', `train.out=${join(ro, 'run')}`, '--set', 'train.steps=1'], dir);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /ro is not writable/);
    } finally {
      chmodSync(ro, 0o755);
    }
  });
});

describe('abuse: --resume DIR continues the recorded run, or says why not', function () {
  this.timeout(180000);
  let dir: string;
  const objective = (name = 'o') => join(dir, `${name}.sftgo`);
  const source = (loss: string) => [
    `loss = ${loss}`,
    'model { preset = "tiny" }',
    `data { train = ${JSON.stringify(join(fixtures, 'train-small.jsonl'))}, eval = ${JSON.stringify(join(fixtures, 'eval-small.jsonl'))}, max_len = 64 }`,
    'train { steps = 6, batch = 2, save_every = 2, eval_every = 0, backend = "wasm", seed = 7 }',
    '',
  ].join('\n');
  const config = (run: string) => JSON.parse(readFileSync(join(dir, run, 'config.json'), 'utf8')) as { train: { steps: number; lr: number }; resumes?: unknown[]; engine?: { name: string } };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-resume-'));
    writeFileSync(objective(), source('mean(ce)'));
    writeFileSync(objective('other'), source('mean(ce) * 2'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the hint printed at SIGTERM works as printed, keeping the run\'s --set', async () => {
    const child = spawn(process.execPath, [bin, 'run', objective(), '--set', 'train.out="term"', '--set', 'train.lr=1e-3', '--set', 'train.steps=40', '-q'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const metrics = join(dir, 'term', 'metrics.jsonl');
    const until = Date.now() + 60000;
    while (Date.now() < until && !(existsSync(metrics) && readFileSync(metrics, 'utf8').split('\n').length > 3)) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    assert.equal(code, 143, stderr);
    const hint = /continue with: sftgoc run (--resume \S+)/.exec(stderr);
    assert.ok(hint, stderr);
    const resumed = await sftgoc(['run', ...hint[1]!.split(' '), '-q'], tmpdir(), 120000);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(readFileSync(metrics, 'utf8').trim().split('\n').length, 40);
    assert.equal(config('term').train.lr, 1e-3);
  });

  it('another objective, another --set or another --engine is refused naming the difference; the run is untouched', async () => {
    const made = await sftgoc(['run', objective(), '--set', 'train.out="r"', '-q'], dir, 60000);
    assert.equal(made.code, 0, made.stderr);
    assert.ok(existsSync(join(dir, 'r', MARKER)));
    const before = snapshot(join(dir, 'r'));
    const other = await sftgoc(['run', objective('other'), '--resume', 'r'], dir);
    assert.equal(other.code, 1);
    assert.match(other.stderr, /other\.sftgo is the objective 'other'; the run in r trained 'o'/);
    const lr = await sftgoc(['run', '--resume', 'r', '--set', 'train.lr=0.1'], dir);
    assert.equal(lr.code, 1);
    assert.match(lr.stderr, /train\.lr: the run in r recorded 0\.0003, this resume would use 0\.1/);
    const engine = await sftgoc(['run', '--resume', 'r', '--engine', 'torch'], dir);
    assert.equal(engine.code, 1);
    assert.match(engine.stderr, /--engine torch: the run in r trained with the tfjs engine/);
    assert.deepEqual(snapshot(join(dir, 'r')), before);
  });

  it('train.steps may change: the run is extended and config.json records it', async () => {
    const r = await sftgoc(['run', '--resume', 'r', '--set', 'train.steps=8', '-q'], dir, 60000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(config('r').train.steps, 8);
    assert.equal(config('r').resumes?.length, 1);
    assert.equal(readFileSync(join(dir, 'r', 'metrics.jsonl'), 'utf8').trim().split('\n').length, 8);
  });

  it('a damaged latest checkpoint is reported and the previous one used; none intact is exit 1', async () => {
    truncateSync(join(dir, 'r', 'checkpoints', 'step-8', 'model.safetensors'), 100);
    const r = await sftgoc(['run', '--resume', 'r', '--set', 'train.steps=10'], dir, 60000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /checkpoint \S+step-8 is damaged \(\S+model\.safetensors: .*truncated.*\); resuming from \S+step-6, the newest intact one/);
    for (const step of readdirSync(join(dir, 'r', 'checkpoints'))) unlinkSync(join(dir, 'r', 'checkpoints', step, 'optimizer.safetensors'));
    const none = await sftgoc(['run', '--resume', 'r', '--set', 'train.steps=12'], dir);
    assert.equal(none.code, 1, none.stderr);
    assert.match(none.stderr, /no intact checkpoint to resume from:\n {2}\S+step-10\/optimizer\.safetensors: missing/);
  });

  it('with no checkpoint yet, --resume says so, keeps the recorded settings and config.json', async () => {
    const made = await sftgoc(['run', objective(), '--set', 'train.out="early"', '--set', 'train.lr=1e-3', '-q'], dir, 60000);
    assert.equal(made.code, 0, made.stderr);
    rmSync(join(dir, 'early', 'checkpoints'), { recursive: true });
    const configBefore = readFileSync(join(dir, 'early', 'config.json'));
    const r = await sftgoc(['run', '--resume', 'early'], dir, 60000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /early has no checkpoint yet: starting its run again from step 0 with the settings recorded in/);
    assert.ok(readFileSync(join(dir, 'early', 'config.json')).equals(configBefore));
  });

  it('a run directory from before the marker (config.json + metrics.jsonl) is still resumed', async () => {
    unlinkSync(join(dir, 'early', MARKER));
    const again = await sftgoc(['run', objective(), '--set', 'train.out="early"'], dir);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds a run; continue it with: sftgoc run --resume/);
    const r = await sftgoc(['run', '--resume', 'early', '--set', 'train.steps=7', '-q'], dir, 60000);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'early', MARKER)));
  });

  it('a torch run resumed without --engine continues in torch', async function () {
    if (typeof torchPython() === 'string') this.skip();
    const made = await sftgoc(['run', objective(), '--engine', 'torch', '--set', 'train.out="t"', '--set', 'train.steps=4', '-q'], dir, 120000);
    assert.equal(made.code, 0, made.stderr);
    const r = await sftgoc(['run', '--resume', 't', '--set', 'train.steps=6', '-q'], dir, 120000);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(config('t').engine?.name, 'torch');
    assert.equal(config('t').train.steps, 6);
    const wrong = await sftgoc(['run', '--resume', 't', '--engine', 'tfjs'], dir);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /--engine tfjs: the run in t trained with the torch engine/);
  });
});
