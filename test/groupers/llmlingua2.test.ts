// The LLMLingua-2 encoder against plain-PyTorch reference probabilities
// (scripts/reference/make_llmlingua2_fixture.py), on cpu and wasm; the erf fallback; the word merge and token assignment with a stub
// model whose probabilities are known; and the scorer end to end on the fixture directory.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { compile } from '../../src/compile.js';
import { erfApprox, geluExact, TokenClassifier } from '../../src/groupers/llmlingua2/encoder.js';
import { llmlingua2Scores, loadEncoderTokenizer, scoreSamples, type KeepModel } from '../../src/groupers/llmlingua2/scorer.js';
import { packWords, wordsIn } from '../../src/groupers/llmlingua2/words.js';
import { loadDataset } from '../../src/data/dataset.js';
import type { Sample } from '../../src/data/types.js';
import { bundledTokenizer } from '../tokenizer/helpers.js';
import { repoRoot } from '../helpers/golden.js';
import { fakeTokenizer } from './helpers.js';
import { prepareScores, scorerKey } from './imports.js';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'llmlingua2');

function textSample(text: string, lossFrom: number): Sample {
  const enc = loadEncoderTokenizer(join(FIXTURES, 'bert')).encode(text);
  return {
    index: 0, ids: enc.ids, lossMask: enc.offsets.map(([a]) => a >= lossFrom), offsets: enc.offsets, text,
    reward: 0, advantage: 0, spanScores: {}, source: { file: 'mem.jsonl', line: 1 },
  };
}

async function withBackend(name: string, body: () => Promise<void>): Promise<void> {
  const before = tf.getBackend();
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    const { initBackend } = await import('../../src/backend/index.js');
    await initBackend('wasm');
  } else await tf.setBackend(name);
  try {
    await body();
  } finally {
    await tf.setBackend(before);
  }
}

describe('groupers: llmlingua2', () => {
  before(async () => void (await tf.setBackend('cpu')));

  for (const backend of ['cpu', 'wasm']) {
    for (const family of ['bert', 'xlm-roberta']) {
      it(`${family} keep probabilities match PyTorch within 1e-4 (${backend}; a padded batch of unequal lengths)`, async () => {
        await withBackend(backend, async () => {
          const ref = JSON.parse(readFileSync(join(FIXTURES, family, 'reference.json'), 'utf8')) as { rows: number[][]; keep: number[][] };
          const model = await TokenClassifier.load(join(FIXTURES, family));
          const got = model.keepProbabilities(ref.rows);
          let worst = 0;
          ref.keep.forEach((row, i) => row.forEach((p, j) => (worst = Math.max(worst, Math.abs(got[i]![j]! - p)))));
          assert.ok(worst < 1e-4, `max |Δ| = ${worst}`);
          // Alone, a row gives the same as in the padded batch: padding is masked out.
          const alone = model.keepProbabilities([ref.rows[2]!])[0]!;
          alone.forEach((p, j) => assert.ok(Math.abs(p - ref.keep[2]![j]!) < 1e-4));
          model.dispose();
        });
      });
    }
  }

  it('exact GELU on cpu and wasm, and the erf fallback for backends without an Erf kernel', async () => {
    const xs = [-6, -3, -1.5, -0.5, -1e-3, 0, 1e-3, 0.5, 1.5, 3, 6];
    const exact = xs.map((x) => 0.5 * x * (1 + erfSeries(x / Math.SQRT2)));
    const cpu = geluExact(tf.tensor1d(xs)).arraySync() as number[];
    cpu.forEach((v, i) => assert.ok(Math.abs(v - exact[i]!) < 1e-5, `cpu ${xs[i]}: ${v} vs ${exact[i]}`));
    const fallback = erfApprox(tf.tensor1d(xs)).arraySync() as number[];
    fallback.forEach((v, i) => assert.ok(Math.abs(v - erfSeries(xs[i]!)) < 1e-6, `erf fallback ${xs[i]}: ${v} vs ${erfSeries(xs[i]!)}`));
    await withBackend('wasm', async () => {
      const wasm = geluExact(tf.tensor1d(xs)).arraySync() as number[];
      wasm.forEach((v, i) => assert.ok(Math.abs(v - exact[i]!) < 1e-5, `wasm ${xs[i]}: ${v} vs ${exact[i]}`));
    });
  });

  it('words: whitespace-delimited within the loss text; packing keeps words whole where they fit', () => {
    assert.deepEqual(wordsIn('ab  cd\nef', 1, 9), [{ start: 1, end: 2 }, { start: 4, end: 6 }, { start: 7, end: 9 }]);
    const words = [{ start: 0, end: 1, ids: [1, 2] }, { start: 2, end: 3, ids: [3, 4, 5] }, { start: 4, end: 5, ids: [6, 7, 8, 9, 10, 11, 12] }];
    assert.deepEqual(packWords(words, 4), [[[0, 0], [0, 1]], [[1, 0], [1, 1], [1, 2]], [[2, 0], [2, 1], [2, 2], [2, 3]], [[2, 4], [2, 5], [2, 6]]]);
  });

  it('merge: a word takes the mean (or first) of its sub-words; a token takes the word it overlaps most', () => {
    // "lies velmora," → words "lies" and "velmora,"; the stub's keep probability of a sub-word is id/100.
    const s = textSample('the town lies velmora,', 9);
    const tok = { tokenizer: loadEncoderTokenizer(join(FIXTURES, 'bert')) };
    const stub: KeepModel = { maxTokens: 4, keepProbabilities: (rows) => rows.map((r) => Float32Array.from(r, (id) => id / 100)) };
    const wordIds = (w: string) => tok.tokenizer.encode(w).ids;
    const lies = wordIds('lies');
    const velmora = wordIds('velmora,');
    assert.equal(velmora.length, 2, 'velmora and the comma');
    const mean = (ids: number[]) => ids.reduce((a, b) => a + b / 100, 0) / ids.length;
    for (const how of ['mean', 'first'] as const) {
      const [scores] = scoreSamples([s], stub, tok.tokenizer, how);
      const want = s.ids.map((_, t) => {
        if (!s.lossMask[t]) return 0;
        const [a] = s.offsets[t]!;
        const ids = a < 14 ? lies : velmora;
        return how === 'mean' ? mean(ids) : ids[0]! / 100;
      });
      // maxTokens 4 leaves 2 sub-words a sequence: "lies" and "velmora," go to separate rows.
      assert.deepEqual([...scores!], want.map(Math.fround));
    }
  });

  it('end to end through prepareScores on the fixture: each loss token gets its word’s encoder probability', async () => {
    const s = textSample('the cat sat on the mat. a town is in velmora!', 4);
    const o = compile('group keep = llmlingua2(model = "bert", top 50%)\nloss = max(groups)', { file: join(FIXTURES, 'x.sftgo') }).objective!;
    const r = await prepareScores(o, { train: [s], eval: [] }, { tokenizer: fakeTokenizer() });
    assert.ok(r.ok, !r.ok ? r.errors.join('\n') : '');
    const [scores] = r.store.forSamples([s])[scorerKey(o.partition.scorers[0]!)]!;
    // Independently: one row [CLS] words... [SEP], the word's mean over its sub-words.
    const tok = { tokenizer: loadEncoderTokenizer(join(FIXTURES, 'bert')) };
    const words = wordsIn(s.text, 4, s.text.length);
    const ids = words.map((w) => tok.tokenizer.encode(s.text.slice(w.start, w.end)).ids);
    const model = await TokenClassifier.load(join(FIXTURES, 'bert'));
    const probs = model.keepProbabilities([[2, ...ids.flat(), 3]])[0]!;
    model.dispose();
    let at = 1;
    const wordProb = ids.map((w) => {
      const p = w.reduce((acc, _, k) => acc + probs[at + k]!, 0) / w.length;
      at += w.length;
      return p;
    });
    s.ids.forEach((_, t) => {
      const [a, b] = s.offsets[t]!;
      const w = words.findIndex((x) => a < x.end && b > x.start);
      const want = s.lossMask[t] ? wordProb[w]! : 0;
      assert.ok(Math.abs(scores![t]! - want) < 1e-6, `position ${t}`);
    });
    const again = await llmlingua2Scores([s], { dir: join(FIXTURES, 'bert'), aggregate: 'mean' });
    assert.deepEqual([...again[0]!], [...scores!]);
  });

  it('with no model named, the bundled encoder (assets/llmlingua2) keeps held-out facts and drops the filler', async () => {
    const o = compile('group keep = llmlingua2(top 30%)\nloss = max(groups)', { file: join(FIXTURES, 'x.sftgo') }).objective!;
    assert.equal(o.partition.scorers[0]!.args.model, 'std/llmlingua2');
    // Every word of the bundled eval answers is one WordPiece of the encoder's own tokenizer (no [UNK]).
    const encoderTok = loadEncoderTokenizer(join(repoRoot, 'assets', 'llmlingua2'));
    const d = loadDataset(join(repoRoot, 'assets', 'default', 'data', 'eval.jsonl'), { tokenizer: bundledTokenizer(), maxLen: 512 });
    const samples = d.samples.slice(0, 40);
    for (const s of samples) assert.ok(!encoderTok.encode(s.text).ids.includes(encoderTok.tokenToId('[UNK]')!), s.text);
    const r = await prepareScores(o, { train: samples, eval: [] }, { tokenizer: bundledTokenizer() });
    assert.ok(r.ok, !r.ok ? r.errors.join('\n') : '');
    const scores = r.store.forSamples(samples)[scorerKey(o.partition.scorers[0]!)]!;
    // Mean keep probability on tokens inside a marked fact span vs tokens of the opener/closer
    // sentences (before the first fact, after the last): the encoder was trained on train.jsonl only.
    // "Filler" here includes a statement's lead ("According to the records I have,"), whose content
    // words the labelling rule keeps, hence a bound of 0.15 rather than near 0.
    let fact = 0, nFact = 0, filler = 0, nFiller = 0;
    samples.forEach((s, i) => {
      const spans = s.spanScores.fact!;
      const first = Math.min(...spans.map((f) => f.start));
      const last = Math.max(...spans.map((f) => f.end));
      s.lossMask.forEach((m, t) => {
        const [a, b] = s.offsets[t]!;
        if (!m || a === b) return;
        const p = scores[i]![t]!;
        if (spans.some((f) => a < f.end && b > f.start)) (fact += p), nFact++;
        else if (b <= first - 2 || a >= last + 2) (filler += p), nFiller++;
      });
    });
    assert.ok(fact / nFact > 0.9, `fact tokens keep ${fact / nFact}`);
    assert.ok(filler / nFiller < 0.15, `filler tokens keep ${filler / nFiller}`);
  });

  it('a model directory without config.json is an error naming the path', async () => {
    const o = compile('group keep = llmlingua2(model = "missing", top 50%)\nloss = max(groups)', { file: join(FIXTURES, 'x.sftgo') }).objective!;
    const r = await prepareScores(o, { train: [textSample('a cat', 0)], eval: [] }, { tokenizer: fakeTokenizer() });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.errors[0]! : '', /llmlingua2\(model = "missing"\): no config\.json in .*llmlingua2\/missing or .*missing \(expected/);
  });
});

/** erf by its Taylor series (|x| ≤ 3) or continued fraction complement, in float64: an independent check. */
function erfSeries(x: number): number {
  const a = Math.abs(x);
  if (a > 3) {
    // erfc(a) ≈ e^{-a²}/(a√π) · (1 − 1/(2a²) + 3/(4a⁴)), ample at |x| > 3 for a 1e-5 GELU check.
    const erfc = (Math.exp(-a * a) / (a * Math.sqrt(Math.PI))) * (1 - 1 / (2 * a * a) + 3 / (4 * a ** 4));
    return Math.sign(x) * (1 - erfc);
  }
  let sum = 0;
  let term = x;
  for (let n = 0; n < 80; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
