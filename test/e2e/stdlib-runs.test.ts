// Acceptance: every stdlib objective trains end to end through `sftgoc run`'s code path (runFile)
// on the bundled base model: 5 steps, batch 2, short sequences, and the first records of the bundled
// data (32 training, 6 eval; gft: 12 prompts of responses) so the precompute passes (tfidf's idf,
// the reference model's ce, the llmlingua2 encoder) stay small. Each run must
// exit 0 and write 5 lines of metrics.jsonl, each with a loss for every group of its objective.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BufferOutput } from '../../src/cli/output.js';
import { runEval } from '../../src/app/eval-run.js';
import { runFile } from '../../src/app/run.js';
import { repoRoot } from '../helpers/golden.js';
import { setFlag } from '../helpers/set-flag.js';

// The repository root, not this file's folder: CI runs the compiled copy under dist/test/.
const root = repoRoot;
const fixtures = join(root, 'test', 'e2e', 'fixtures');
const assets = join(root, 'assets', 'default');
const reference = [`reference.path=${JSON.stringify(join(assets, 'model'))}`];
const responses = [`data.train=${JSON.stringify(join(fixtures, 'responses-small.jsonl'))}`, `data.eval=${JSON.stringify(join(fixtures, 'responses-eval-small.jsonl'))}`];

interface Case {
  file: string;
  /** The groups metrics.jsonl must report (partition order, then `rest`); empty: no groups. */
  groups: string[];
  settings?: string[];
}
const cases: Case[] = [
  { file: 'stdlib/sft.sftgo', groups: [] },
  { file: 'stdlib/sftgo.sftgo', groups: ['important', 'rest'] },
  { file: 'test/e2e/fixtures/sftgo-llmlingua2.sftgo', groups: ['important', 'rest'] },
  { file: 'stdlib/sftgo-rho1.sftgo', groups: ['important', 'rest'], settings: reference },
  { file: 'stdlib/rho1.sftgo', groups: ['selected', 'rest'], settings: reference },
  { file: 'stdlib/dft.sftgo', groups: [] },
  { file: 'stdlib/gft-offline.sftgo', groups: [], settings: responses },
  { file: 'stdlib/groupdro.sftgo', groups: ['important', 'rest'] },
];


describe('every stdlib objective trains 5 steps on the bundled model', function () {
  this.timeout(120000);
  let dir: string;
  let previousBackend: string | undefined;
  before(async function () {
    if (!existsSync(join(assets, 'model', 'config.json'))) this.skip();
    previousBackend = tf.getBackend();
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-e2e-'));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    await tf.setBackend(previousBackend ?? 'cpu');
  });

  for (const c of cases) {
    it(`${c.file}${c.groups.length > 0 ? ` (groups ${c.groups.join(', ')})` : ''}`, async () => {
      const out = new BufferOutput();
      const runDir = join(dir, c.file.replace(/[/.]/g, '_'));
      const settings = [
        'train.steps=5', 'train.batch=2', 'train.eval_every=5', 'train.save_every=0', 'train.backend=wasm', 'data.max_len=96',
        `data.train=${JSON.stringify(join(fixtures, 'train-small.jsonl'))}`, `data.eval=${JSON.stringify(join(fixtures, 'eval-small.jsonl'))}`, ...(c.settings ?? []), `train.out=${JSON.stringify(runDir)}`,
      ].map(setFlag);
      const result = await runFile(join(root, c.file), { params: [], settings, skipBadRecords: false, quiet: true, json: true, tty: false, shouldStop: () => false }, out);
      assert.equal(result.exitCode, 0, out.stderrText);
      const lines = (await readFile(join(runDir, 'metrics.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.length, 5);
      for (const m of lines) {
        assert.ok(Number.isFinite(m.loss) && Number.isFinite(m.ce), JSON.stringify(m));
        const groups = (m.groups ?? {}) as Record<string, { loss: number; tokens: number }>;
        assert.deepEqual(Object.keys(groups).sort(), [...c.groups].sort(), `step ${m.step}: ${JSON.stringify(groups)}`);
        for (const name of c.groups) {
          assert.ok(groups[name]!.tokens >= 0 && (groups[name]!.tokens === 0 || Number.isFinite(groups[name]!.loss)), `${name}: ${JSON.stringify(groups[name])}`);
        }
        // At least one group holds tokens every step (the partition covers every loss token).
        if (c.groups.length > 0) assert.ok(c.groups.some((g) => groups[g]!.tokens > 0));
      }
      // Held-out loss and ce are both token-weighted over the eval set (6 samples of unequal length
      // in batches of 2), so for loss = mean(ce) they are the same number.
      const evals = (await readFile(join(runDir, 'eval.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
      assert.ok(evals.length >= 1);
      for (const e of evals) {
        assert.ok(Number.isFinite(e.loss) && e.ce > 0 && Math.abs(e.perplexity - Math.exp(e.ce)) < 1e-6 * e.perplexity, JSON.stringify(e));
        assert.deepEqual(Object.keys(e.groups).sort(), [...c.groups].sort());
        if (c.file === 'stdlib/sft.sftgo') assert.ok(Math.abs(e.loss - e.ce) < 1e-5 * e.ce, `eval loss ${e.loss} vs ce ${e.ce}`);
      }

      // `sftgoc eval RUN_DIR` on the final model and, by default, the run's batch size: the run's last evaluation,
      // groups included (their static scores from the run's training data, the reference ce).
      const evalOut = new BufferOutput();
      assert.equal(await runEval({ runDir, backend: 'wasm', skipBadRecords: false, json: true, quiet: true }, evalOut), 0, evalOut.stderrText);
      const report = JSON.parse(evalOut.stdoutText);
      const last = evals.at(-1);
      assert.equal(last.step, 5);
      const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${what}: eval ${a} vs run ${b}`);
      close(report.ce, last.ce, 'ce');
      close(report.perplexity, last.perplexity, 'perplexity');
      // Group DRO's loss weighs groups by the run's q, which a fresh evaluation starts uniform.
      if (c.file !== 'stdlib/groupdro.sftgo') close(report.loss, last.loss, 'loss');
      assert.deepEqual(Object.keys(report.groups).sort(), [...c.groups].sort());
      for (const g of c.groups) {
        assert.equal(report.groups[g].tokens, last.groups[g].tokens, g);
        close(report.groups[g].loss, last.groups[g].loss, `group ${g}`);
      }
      if (c.file === 'stdlib/sftgo.sftgo') {
        // --model/--data with --objective and no run: groups too, idf from the evaluated data (said on stderr).
        const direct = new BufferOutput();
        const eval6 = join(fixtures, 'eval-small.jsonl');
        const code = await runEval({ model: join(runDir, 'final'), data: eval6, objective: join(root, c.file), batch: 2, maxLen: 96, backend: 'wasm', skipBadRecords: false, json: true, quiet: false }, direct);
        assert.equal(code, 0, direct.stderrText);
        assert.match(direct.stderrText, /corpus statistics .* come from .*eval-small\.jsonl itself/);
        const r = JSON.parse(direct.stdoutText);
        close(r.ce, last.ce, 'ce (--model/--data)');
        assert.deepEqual(Object.keys(r.groups).sort(), ['important', 'rest']);
        assert.ok(r.groups.important.tokens > 0 && r.groups.rest.tokens > 0);
      }
    });
  }
});
