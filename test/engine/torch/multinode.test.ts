// Two "machines" on this one (two `sftgoc run --nnodes 2` on loopback, one process each) train the
// same run as `--nproc 2` on one machine: the same per-step losses (1e-6 relative: the same
// micro-batches on the same ranks, summed by the same all_reduce). Machine 0's run directory holds
// the run; each directory's RUN/torch/ names its inputs by relative paths and holds them (model and
// tokenizer files), so a machine needs only that directory; config.json's train block says what ran.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { repoRoot } from '../../helpers/golden.js';
import { requireTorch, spawnSftgoc } from './helpers.js';

const fixtures = join(repoRoot, 'test', 'e2e', 'fixtures');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function losses(runDir: string): Promise<number[]> {
  return (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => (JSON.parse(l) as { loss: number }).loss);
}

describe('torch engine: two machines on loopback (--nnodes 2)', function () {
  this.timeout(180_000);
  let dir: string;
  let python = '';
  before(async function () {
    python = requireTorch(this).python;
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-torch-nodes-'));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  const args = (out: string, extra: string[]) => [
    'run', join(repoRoot, 'examples', 'quickstart.sftgo'), '--engine', 'torch', '--device', 'cpu', '--python', python, '--quiet',
    ...['train.batch=2', 'train.grad_accum=2', 'train.steps=3', 'train.save_every=0', 'train.eval_every=0', 'train.backend=wasm', 'data.max_len=64',
      `data.train=${JSON.stringify(join(fixtures, 'train-small.jsonl'))}`, `data.eval=${JSON.stringify(join(fixtures, 'eval-small.jsonl'))}`,
      `train.out=${JSON.stringify(out)}`].flatMap((s) => ['--set', s]),
    ...extra,
  ];

  it('gives the per-step losses of --nproc 2 on one machine; machine 0 holds the run; RUN/torch/ stands alone', async () => {
    const port = String(await freePort());
    const node = (rank: number) => spawnSftgoc(args(join(dir, `node${rank}`), ['--nnodes', '2', '--node-rank', String(rank), '--master-addr', '127.0.0.1', '--master-port', port]));
    const [n0, n1] = await Promise.all([node(0), node(1)]);
    assert.equal(n0.code, 0, n0.stderr);
    assert.equal(n1.code, 0, n1.stderr);
    const single = await spawnSftgoc(args(join(dir, 'nproc2'), ['--nproc', '2']));
    assert.equal(single.code, 0, single.stderr);

    const [a, b] = [await losses(join(dir, 'node0')), await losses(join(dir, 'nproc2'))];
    assert.equal(a.length, 3);
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= 1e-6 * Math.abs(b[i]!), `step ${i + 1}: ${x} vs ${b[i]}`));
    assert.ok(existsSync(join(dir, 'node0', 'final', 'model.safetensors')));
    assert.ok(!existsSync(join(dir, 'node1', 'metrics.jsonl')), 'machine 1 writes no metrics');

    const input = JSON.parse(await readFile(join(dir, 'node1', 'torch', 'input.json'), 'utf8')) as { model: { dir: string }; tokenizer_files: string[]; run_dir: string; total_steps: number };
    for (const p of [input.model.dir, ...input.tokenizer_files, input.run_dir]) assert.ok(!isAbsolute(p), `${p} is absolute`);
    for (const p of [join(input.model.dir, 'config.json'), ...input.tokenizer_files]) assert.ok(existsSync(join(dir, 'node1', 'torch', p)), p);
    assert.equal(input.total_steps, 3);

    const config = JSON.parse(await readFile(join(dir, 'nproc2', 'config.json'), 'utf8')) as { train: Record<string, unknown>; engine: Record<string, unknown> };
    assert.deepEqual([config.train.engine, config.train.nproc, config.train.device, config.train.deterministic], ['torch', 2, 'cpu', true]);
    const config0 = JSON.parse(await readFile(join(dir, 'node0', 'config.json'), 'utf8')) as { engine: Record<string, unknown> };
    assert.deepEqual([config0.engine.world_size, config0.engine.nnodes, config0.engine.node_rank], [2, 2, 0]);
  });

  it('refuses a partial set of machine flags before training', async () => {
    const r = await spawnSftgoc(args(join(dir, 'bad'), ['--nnodes', '2', '--node-rank', '2']));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /--node-rank: expected this machine's number, 0 to 1/);
    assert.match(r.stderr, /--master-addr HOST/);
  });
});
