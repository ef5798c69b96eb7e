// The torch engine's generation (src/engine/torch/generate.ts + python/sftgoc_generate.py and the
// key/value cache of python/sftgoc_model.py) against independent references:
//   - greedy.json of each fixture model (scripts/reference/make_greedy_fixtures.py: FULL recompute in
//     float64 by make_fixtures.py's own gpt2/llama, F32 and BF16 weights): the same tokens, and the
//     cached logits of every step within 1e-4, with prompts of different lengths in one batch;
//   - TypeScript's sampleToken / logProbability (src/generate/sampling.ts) on the same fixed logits;
//   - seeded sampling repeats, depends on the seed and not on the batch it was decoded in;
//   - a bad model directory, an over-long prompt and a timeout come back as problems, never a hang.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torchEngine } from '../../../src/engine/torch/index.js';
import { GENERATE_SCRIPT, torchDecode } from '../../../src/engine/torch/generate.js';
import { PYTHON_RUNTIME_DIR, type PythonEnv } from '../../../src/engine/torch/python-env.js';
import { logProbability, rowStream, sampleToken, type SamplingRule } from '../../../src/generate/sampling.js';
import type { DecodeOptions, DecodeRequest, DecodedRow } from '../../../src/generate/types.js';
import { mulberry32 } from '../../../src/util/prng.js';
import { FIXTURES, GREEDY_FIXTURES, greedyReference } from '../../model/helpers.js';
import { requireTorch } from './helpers.js';

const MODELS = GREEDY_FIXTURES;
const GREEDY: DecodeOptions = { maxNew: 6, temperature: 0, topK: 0, topP: 1, n: 1, seed: 0 };

const greedyRef = greedyReference;

/** log softmax(logits)[id] in float64, from the reference's float64 logits. */
function refLogProb(logits: number[], id: number): number {
  const max = Math.max(...logits);
  return logits[id]! - max - Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0));
}

describe('torch engine: generation', function () {
  this.timeout(120_000);
  let env: PythonEnv;
  let dir: string;
  before(function () {
    env = requireTorch(this);
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-torch-generate-'));
  });
  after(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  const options = () => ({ python: env.python, device: 'cpu' as const });
  const decode = async (request: DecodeRequest): Promise<DecodedRow[]> => {
    const r = await torchEngine.decode(request, options());
    assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
    return r.rows;
  };

  /** sftgoc_generate.py run directly (the test-only modes: --record-logits, --sample-fixed). */
  function runScript(flag: string, input: unknown): unknown {
    const inFile = join(dir, 'in.json');
    const outFile = join(dir, 'out.json');
    writeFileSync(inFile, JSON.stringify(input));
    const r = spawnSync(env.python, [join(PYTHON_RUNTIME_DIR, GENERATE_SCRIPT), flag, inFile, outFile], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(outFile, 'utf8');
    return flag === '--record-logits' ? text.trim().split('\n').map((l) => JSON.parse(l) as unknown) : JSON.parse(text);
  }

  for (const model of MODELS) {
    it(`${model}: greedy equals the full-recompute reference, prompts of 3, 5 and 8 tokens in one batch`, async () => {
      const ref = greedyRef(model);
      const rows = await decode({ modelDir: join(FIXTURES, model), prompts: ref.prompts, options: GREEDY, eosId: ref.eos_id });
      assert.deepEqual(rows.map((r) => [r.prompt, r.sample, r.finish]), ref.prompts.map((_, p) => [p, 0, 'length']));
      assert.deepEqual(rows.map((r) => r.ids), ref.tokens);
      // The model's own log-probabilities of the chosen tokens, against the reference's float64 logits.
      rows.forEach((r, p) => r.logprobs.forEach((lp, s) => assert.ok(Math.abs(lp - refLogProb(ref.logits[p]![s]!, r.ids[s]!)) < 1e-4, `${model} row ${p} step ${s}`)));
    });

    it(`${model}: the cached logits of every step equal the full recompute within 1e-4`, () => {
      const ref = greedyRef(model);
      const rows = runScript('--record-logits', {
        model_dir: join(FIXTURES, model), device: 'cpu', prompts: ref.prompts, max_new: ref.max_new, temperature: 0, top_k: 0, top_p: 1, n: 1, seed: 0, eos_id: ref.eos_id,
      }) as Array<{ logits: number[][] }>;
      let worst = 0;
      rows.forEach((row, p) => {
        assert.equal(row.logits.length, ref.max_new);
        row.logits.forEach((step, s) => step.forEach((l, v) => { worst = Math.max(worst, Math.abs(l - ref.logits[p]![s]![v]!)); }));
      });
      assert.ok(worst < 1e-4, `${model}: largest logit difference ${worst}`);
    });
  }

  it('prompts decoded one at a time give the same greedy rows as the whole batch (batch: 1)', async () => {
    const ref = greedyRef('llama-tiny');
    const rows = await decode({ modelDir: join(FIXTURES, 'llama-tiny'), prompts: ref.prompts, options: GREEDY, eosId: ref.eos_id, batch: 1 });
    assert.deepEqual(rows.map((r) => r.ids), ref.tokens);
  });

  it('a row ends at eos: its ids stop before it and its last logprob is the eos\'s', async () => {
    const ref = greedyRef('gpt2-tiny');
    // A later greedy token of prompt 0 (at its first occurrence) as eos: that row ends there, others may too.
    const tokens = ref.tokens[0]!;
    const at = tokens.findIndex((t, s) => s > 0 && tokens.indexOf(t) === s);
    const eos = tokens[at]!;
    const rows = await decode({ modelDir: join(FIXTURES, 'gpt2-tiny'), prompts: ref.prompts, options: GREEDY, eosId: eos });
    assert.equal(rows[0]!.finish, 'eos');
    assert.deepEqual(rows[0]!.ids, tokens.slice(0, at));
    assert.equal(rows[0]!.logprobs.length, at + 1);
    assert.ok(Math.abs(rows[0]!.logprobs[at]! - refLogProb(ref.logits[0]![at]!, eos)) < 1e-4);
    rows.forEach((r, p) => {
      const cut = ref.tokens[p]!.indexOf(eos);
      assert.deepEqual(r.ids, cut < 0 ? ref.tokens[p] : ref.tokens[p]!.slice(0, cut));
      assert.equal(r.finish, cut < 0 ? 'length' : 'eos');
    });
  });

  it('seeded sampling repeats, changes with the seed, and does not depend on the batch', async () => {
    const ref = greedyRef('llama-tiny-f32');
    const sampling: DecodeOptions = { maxNew: 6, temperature: 1.5, topK: 20, topP: 0.95, n: 3, seed: 11 };
    const request = { modelDir: join(FIXTURES, 'llama-tiny-f32'), prompts: ref.prompts, options: sampling, eosId: ref.eos_id };
    const first = await decode(request);
    const again = await decode(request);
    const oneByOne = await decode({ ...request, batch: 1 });
    const otherSeed = await decode({ ...request, options: { ...sampling, seed: 12 } });
    assert.deepEqual(first.map((r) => [r.prompt, r.sample]), [0, 1, 2].flatMap((p) => [0, 1, 2].map((j) => [p, j])));
    assert.deepEqual(again, first);
    assert.deepEqual(oneByOne.map((r) => r.ids), first.map((r) => r.ids));
    assert.notDeepEqual(otherSeed.map((r) => r.ids), first.map((r) => r.ids));
    // At T = 1.5 over 20 tokens the samples are not all the greedy continuation.
    assert.notDeepEqual(first.filter((r) => r.sample === 0).map((r) => r.ids), ref.tokens);
  });

  it('the Python sampler draws the tokens of TypeScript\'s sampleToken from the same logits', () => {
    // Fixed float32 logits with ties (equal values, so the id order decides) and a wide range.
    const rng = mulberry32(5);
    const vocab = 50;
    const rows = Array.from({ length: 7 }, (_, r) => Float32Array.from({ length: vocab }, (_, i) => (r === 0 && i % 10 === 3 ? 2 : Math.round((rng() * 8 - 4) * (r + 1)) / (r + 1))));
    const rules: SamplingRule[] = [
      { temperature: 1, topK: 0, topP: 1 },
      { temperature: 0.7, topK: 5, topP: 1 },
      { temperature: 1.3, topK: 0, topP: 0.8 },
      { temperature: 0.5, topK: 3, topP: 0.5 },
      { temperature: 2, topK: 49, topP: 0.999 },
      { temperature: 0, topK: 0, topP: 1 },
    ];
    const draws = 400;
    const cases = rules.map((rule, k) => ({ rule, seed: 1000 + k, row: 17 * k }));
    const py = runScript('--sample-fixed', {
      cases: cases.map(({ rule, seed, row }) => ({
        logits: rows.map((l) => Array.from(l)), temperature: rule.temperature, top_k: rule.topK, top_p: rule.topP, seed, row, draws,
      })),
    }) as Array<{ tokens: number[]; logprobs: number[] }>;
    cases.forEach(({ rule, seed, row }, k) => {
      const stream = rowStream(seed, row);
      const ts = Array.from({ length: draws }, (_, d) => sampleToken(rows[d % rows.length]!, rule, stream));
      assert.deepEqual(py[k]!.tokens, ts, `rule ${JSON.stringify(rule)}`);
      // Not one token over and over: the draws cover several candidates (greedy excepted).
      if (rule.temperature > 0) assert.ok(new Set(ts).size > 2, `rule ${JSON.stringify(rule)}: ${new Set(ts).size} distinct tokens`);
      // 1e-6: the TypeScript log-probability sums fastExp (2e-7 relative), the Python one math.exp.
      py[k]!.logprobs.forEach((lp, d) => assert.ok(Math.abs(lp - logProbability(rows[d % rows.length]!, ts[d]!)) < 1e-6, `draw ${d}: python ${lp}, TypeScript ${logProbability(rows[d % rows.length]!, ts[d]!)}`));
    });
  });

  it('a model directory that does not exist is a problem naming it', async () => {
    const missing = join(dir, 'no-such-model');
    const r = await torchEngine.decode({ modelDir: missing, prompts: [[1, 2]], options: GREEDY, eosId: 0 }, options());
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.problems.length, 1);
      assert.match(r.problems[0]!, /cannot load the model/);
      assert.ok(r.problems[0]!.includes(missing), r.problems[0]);
    }
  });

  it('a prompt longer than the model\'s positions allow is a problem, not a crash', async () => {
    // gpt2-tiny has 16 positions: 12 prompt tokens + 6 new ones do not fit.
    const r = await torchEngine.decode({ modelDir: join(FIXTURES, 'gpt2-tiny'), prompts: [[1, 2, 3], Array(12).fill(4)], options: GREEDY, eosId: 0 }, options());
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problems[0]!, /prompt 1: 12 tokens \+ max_new 6 exceed the model's 16 positions/);
  });

  it('a timeout stops the child and says so', async () => {
    const started = Date.now();
    const ref = greedyRef('gpt2-tiny');
    const r = await torchDecode(env, 'cpu', { modelDir: join(FIXTURES, 'gpt2-tiny'), prompts: ref.prompts, options: GREEDY, eosId: 0 }, undefined, { timeoutMs: 50 });
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.problems[0]!, /took longer than 50 ms/);
    assert.ok(Date.now() - started < 20_000);
  });

  it('reports progress up to every row', async () => {
    const ref = greedyRef('gpt2-tiny');
    const seen: Array<[number, number]> = [];
    const r = await torchEngine.decode({ modelDir: join(FIXTURES, 'gpt2-tiny'), prompts: ref.prompts, options: { ...GREEDY, n: 2 }, eosId: ref.eos_id, batch: 4 }, options(), (done, total) => seen.push([done, total]));
    assert.ok(r.ok);
    assert.deepEqual(seen.at(-1), [6, 6]);
    assert.ok(seen.some(([done]) => done === 4), JSON.stringify(seen));
  });
});
