// The worker supervision of the torch engine (src/engine/torch/supervise.ts) on plain shell
// processes, no torch needed: a worker that kills itself is named with its signal; a stopped worker
// and the process it started are killed with their process group after the grace periods; each
// worker's stderr lands in its own log and the tail shows only the latest launch.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { culprit, describeEnd, failureText, logTail, Workers } from '../../../src/engine/torch/supervise.js';

/** Running, or stopped: not gone and not a zombie waiting for its new parent to reap it. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('torch engine: worker supervision', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-supervise-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names a self-killed worker by its signal and kills a stopped one with its whole process group', async () => {
    const logDir = join(dir, 'logs');
    const grandchild = join(dir, 'grandchild.pid');
    const scripts = [
      'echo "rank 0 going" >&2; sleep 0.3; kill -KILL $$',
      // Ignores SIGTERM, starts a process of its own, then stops itself: only SIGKILL to the group ends both.
      `trap '' TERM; sleep 60 & echo $! > ${grandchild}; echo "rank 1 stopping" >&2; kill -STOP $$`,
    ];
    const t0 = Date.now();
    const workers = new Workers(
      { python: '/bin/sh', args: ['-c', 'eval "$SCRIPT"'], cwd: dir, logDir, workers: scripts.map((SCRIPT, rank) => ({ rank, env: { ...process.env, SCRIPT } })) },
      { peerMs: 500, cleanMs: 5000, stopMs: 5000, killMs: 500 },
    );
    const ends = await workers.done();
    const seconds = (Date.now() - t0) / 1000;
    assert.ok(seconds < 10, `${seconds} s`);
    assert.deepEqual(ends.map((e) => [e.rank, e.signal, e.killed]), [[0, 'SIGKILL', false], [1, 'SIGKILL', true]]);
    const first = culprit(ends)!;
    assert.equal(first.rank, 0);
    assert.equal(describeEnd(first), 'was killed by SIGKILL');
    assert.match(describeEnd(ends[1]!), /stopped answering .* killed by sftgoc with SIGKILL/);
    assert.match(failureText(first, logDir, 'during step 3'), /^rank 0 was killed by SIGKILL during step 3; its log is .*rank-0\.log, ending:\nrank 0 going$/);
    // The group's SIGKILL reached the process the stopped worker had started.
    const pid = Number(readFileSync(grandchild, 'utf8'));
    for (let i = 0; i < 20 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alive(pid), `process ${pid} outlived its worker`);
  });

  it("a worker's log keeps earlier launches, and the tail shows only the latest; a clean exit is no culprit", async () => {
    const logDir = join(dir, 'logs2');
    for (const word of ['first', 'second']) {
      const w = new Workers({ python: '/bin/sh', args: ['-c', `echo ${word} >&2`], cwd: dir, logDir, workers: [{ rank: 0, env: process.env }] });
      const ends = await w.done();
      assert.equal(culprit(ends), undefined);
    }
    assert.equal(logTail(logDir, 0), 'second');
    assert.match(readFileSync(join(logDir, 'rank-0.log'), 'utf8'), /first[\s\S]*second/);
    assert.ok(existsSync(join(logDir, 'rank-0.log')));
  });
});
