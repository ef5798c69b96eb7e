// Rho-1 with a real reference (issue 17): `reference { train = "FILE.sftgo" }` trains FILE once
// into the reference cache and later commands reuse it; an objective reading ref_ce with no
// reference does not compile (E0508). The acceptance check runs the real `sftgoc groups
// stdlib/rho1.sftgo` on an empty cache, as on a fresh clone (it trains stdlib/rho1-reference.sftgo,
// 300 steps: the one slow case here, about 30 s on 2 cores), then again to see it reused.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../cli/helpers/cli.js';
import { repoRoot } from '../helpers/golden.js';

interface TokenLine {
  sample: number;
  position: number;
  loss: boolean;
  scores: Record<string, number>;
  group: string | null;
}

describe('reference { train }: Rho-1 with a trained reference', function () {
  this.timeout(240_000);
  let dir: string;
  let cache: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-rho1-ref-'));
    cache = join(dir, 'cache');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check: excess_loss() with no reference block is error E0508 (exit 1); path = "self" says so explicitly and compiles', () => {
    const file = join(dir, 'no-ref.sftgo');
    writeFileSync(file, 'group g = excess_loss(top 30%)\nloss = max(groups)\n');
    const r = runCli(['check', file]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout + r.stderr, /error\[E0508\]/);
    const self = join(dir, 'self-ref.sftgo');
    writeFileSync(self, 'group g = excess_loss(top 30%)\nloss = max(groups)\nreference { path = "self" }\n');
    const s = runCli(['check', self]);
    assert.equal(s.status, 0, s.stderr);
  });

  it('groups stdlib/rho1.sftgo on an empty cache: trains the reference, excess varies, the selection is not positional; a second call reuses it', () => {
    const env = { SFTGOC_CACHE_DIR: cache };
    const first = runCli(['groups', 'stdlib/rho1.sftgo', '--format', 'jsonl', '--limit', '8'], { env, timeoutMs: 200_000 });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /reference: training rho1_reference/);
    const tokens = first.stdout.trim().split('\n').map((l) => JSON.parse(l) as TokenLine).filter((t) => t.loss);
    const excess = tokens.map((t) => t.scores['excess_loss()']!);
    assert.ok(excess.every((e) => Number.isFinite(e)), 'every answer token has an excess value');
    // Not all 0: with the model as its own reference every value would be exactly 0 at step 0.
    assert.ok(excess.filter((e) => Math.abs(e) > 1e-3).length > excess.length / 2, 'most excess values differ from 0');
    assert.ok(Math.max(...excess) - Math.min(...excess) > 1, `excess spans more than 1 nat (${Math.min(...excess)} .. ${Math.max(...excess)})`);
    // Not positional: a ranking by position (what all-equal scores give, ties to the earlier
    // token, per sample or per batch) selects a prefix of each answer. Here some answer has a
    // selected token after an unselected one, and some answer's last third holds selected tokens.
    const answers = new Map<number, TokenLine[]>();
    for (const t of tokens) answers.set(t.sample, [...(answers.get(t.sample) ?? []), t]);
    const selected = (t: TokenLine) => t.group === 'selected';
    const notPrefix = [...answers.values()].filter((a) => a.some((t, i) => i > 0 && selected(t) && !selected(a[i - 1]!)));
    assert.ok(notPrefix.length >= answers.size / 2, `${notPrefix.length} of ${answers.size} answers select more than a prefix`);
    assert.ok([...answers.values()].some((a) => a.slice(Math.floor((2 * a.length) / 3)).some(selected)), 'some selected token lies in the last third of its answer');
    // The selected share is Rho-1's k = 60% of the batch's answer tokens (ties aside).
    const share = tokens.filter(selected).length / tokens.length;
    assert.ok(share > 0.4 && share < 0.8, `selected share ${share}`);

    // Kept under a key of its inputs, and reused: no training the second time, the same values.
    const kept = readdirSync(join(cache, 'references'));
    assert.equal(kept.length, 1);
    assert.match(kept[0]!, /^rho1_reference-[0-9a-f]{16}$/);
    assert.ok(existsSync(join(cache, 'references', kept[0]!, 'final', 'config.json')));
    const second = runCli(['groups', 'stdlib/rho1.sftgo', '--format', 'jsonl', '--limit', '8'], { env, timeoutMs: 120_000 });
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /reference: reusing /);
    assert.doesNotMatch(second.stderr, /reference: training/);
    assert.equal(second.stdout, first.stdout);
  });

  it('run: says it trains the reference (with progress), records the directory in config.json; a changed reference file gets a new key', () => {
    const env = { SFTGOC_CACHE_DIR: join(dir, 'run-cache') };
    const data = join(dir, 'small.jsonl');
    writeFileSync(data, readFileSync(join(repoRoot, 'assets', 'default', 'data', 'hq.jsonl'), 'utf8').split('\n').slice(0, 16).join('\n') + '\n');
    const refFile = join(dir, 'ref.sftgo');
    const writeRef = (steps: number) => writeFileSync(refFile, `loss = mean(ce)\ndata { train = ${JSON.stringify(data)} }\ntrain { steps = ${steps}, batch = 4, eval_every = 0, save_every = 0 }\n`);
    writeRef(2);
    const main = join(dir, 'main.sftgo');
    writeFileSync(main, 'group selected = excess_loss(top 60% per batch)\nloss = mean(ce[selected])\nreference { train = "ref.sftgo" }\n');
    const runOnce = (out: string) => runCli(['run', main, '--set', `data.train=${JSON.stringify(data)}`, '--set', 'train.steps=1', '--set', 'train.batch=4', '--set', `train.out=${JSON.stringify(join(dir, out))}`], { env, timeoutMs: 120_000 });
    const a = runOnce('a');
    assert.equal(a.status, 0, a.stderr + a.stdout);
    assert.match(a.stdout, /reference: training /);
    assert.match(a.stdout, /reference: step 1\/2|step 1\/2/);
    const recorded = JSON.parse(readFileSync(join(dir, 'a', 'config.json'), 'utf8')) as { reference: { train: string; dir: string } };
    assert.equal(recorded.reference.train, refFile);
    assert.ok(existsSync(join(recorded.reference.dir, 'config.json')));
    const b = runOnce('b');
    assert.equal(b.status, 0, b.stderr + b.stdout);
    assert.match(b.stdout, /reference: reusing /);
    writeRef(3);
    const c = runOnce('c');
    assert.equal(c.status, 0, c.stderr + c.stdout);
    assert.match(c.stdout, /reference: training /);
    assert.equal(readdirSync(join(dir, 'run-cache', 'references')).length, 2);
  });
});
