// The sampling rule (src/generate/sampling.ts): repeatable under a seed, greedy at temperature 0,
// top-p 1 and top-k 0 as no-ops, top-k/top-p cutting exactly what they say (worked by hand), and
// the empirical frequencies of 2,000 draws matching the distribution by a χ² test.
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/util/prng.js';
import { argmax, candidates, logProbability, rowStream, sampleToken } from '../../src/generate/sampling.js';

const LOGITS = Float32Array.from([1.0, 2.5, -0.5, 2.5, 0.2, -3, 1.7, 0.0]);

/** softmax(logits / t) in float64, written out directly. */
function softmax(logits: Float32Array, t: number): number[] {
  const z = [...logits].map((x) => x / t);
  const m = Math.max(...z);
  const e = z.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/**
 * The χ² statistic's 0.999 quantile for k − 1 degrees of freedom (Wilson–Hilferty): a correct
 * sampler fails this test once in a thousand seeds, and the seeds here are fixed.
 */
function chiSquareCritical(df: number): number {
  const z = 3.090232; // Φ⁻¹(0.999)
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

describe('generate: sampling', () => {
  it('greedy is the lowest id of the largest logit, and temperature 0 draws nothing from the stream', () => {
    assert.equal(argmax(LOGITS), 1);
    const rng = mulberry32(5);
    const calls = { n: 0 };
    const counted = () => {
      calls.n++;
      return rng();
    };
    assert.equal(sampleToken(LOGITS, { temperature: 0, topK: 0, topP: 1 }, counted), 1);
    assert.equal(calls.n, 0);
  });

  it('temperature → 0 gives the greedy token', () => {
    const rng = rowStream(9, 0);
    const distinct = Float32Array.from([0.3, 1.2, 1.1, -0.4]);
    for (let i = 0; i < 200; i++) assert.equal(sampleToken(distinct, { temperature: 1e-4, topK: 0, topP: 1 }, rng), 1);
  });

  it('a seed makes samples repeatable, and rows have their own streams', () => {
    const rule = { temperature: 1, topK: 0, topP: 1 };
    const draw = (seed: number, row: number) => {
      const rng = rowStream(seed, row);
      return Array.from({ length: 50 }, () => sampleToken(LOGITS, rule, rng));
    };
    assert.deepEqual(draw(3, 0), draw(3, 0));
    assert.notDeepEqual(draw(3, 0), draw(3, 1));
    assert.notDeepEqual(draw(3, 0), draw(4, 0));
  });

  it('top-p 1 and top-k 0 (or k ≥ vocab) keep every token: the same draws as no cut', () => {
    const base = { temperature: 0.8, topK: 0, topP: 1 };
    for (const cut of [{ ...base, topK: LOGITS.length }, { ...base, topK: 100 }, { ...base, topP: 1 }]) {
      const a = rowStream(1, 2);
      const b = rowStream(1, 2);
      for (let i = 0; i < 300; i++) assert.equal(sampleToken(LOGITS, cut, a), sampleToken(LOGITS, base, b));
    }
  });

  it('top-k keeps the k largest (ties by id) and top-p the shortest prefix reaching p', () => {
    assert.deepEqual(candidates(LOGITS, { temperature: 1, topK: 3, topP: 1 }).ids, [1, 3, 6]);
    const p = softmax(LOGITS, 1);
    // Order 1, 3, 6, 0, ...; p1 = p3 ≈ 0.30, p6 ≈ 0.13: 0.6 is reached at the second token only when p1 + p3 ≥ 0.6.
    const firstTwo = p[1]! + p[3]!;
    const cut = candidates(LOGITS, { temperature: 1, topK: 0, topP: firstTwo - 1e-9 });
    assert.deepEqual(cut.ids, [1, 3]);
    assert.deepEqual(candidates(LOGITS, { temperature: 1, topK: 0, topP: firstTwo + 1e-9 }).ids, [1, 3, 6]);
    assert.deepEqual(candidates(LOGITS, { temperature: 1, topK: 0, topP: 1e-9 }).ids, [1]);
  });

  for (const rule of [{ temperature: 1, topK: 0, topP: 1 }, { temperature: 0.7, topK: 0, topP: 1 }, { temperature: 1.3, topK: 4, topP: 1 }, { temperature: 1, topK: 0, topP: 0.8 }]) {
    it(`2,000 draws match the distribution (χ², 0.999 quantile): temperature ${rule.temperature}, top-k ${rule.topK}, top-p ${rule.topP}`, () => {
      // The expected distribution computed from the definition, independently of candidates().
      let p = softmax(LOGITS, rule.temperature);
      const order = p.map((_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
      let keep = new Set(order);
      if (rule.topK > 0) keep = new Set(order.slice(0, rule.topK));
      if (rule.topP < 1) {
        const kept = order.filter((i) => keep.has(i));
        const mass = kept.reduce((s, i) => s + p[i]!, 0);
        let run = 0;
        const out = new Set<number>();
        for (const i of kept) {
          out.add(i);
          run += p[i]! / mass;
          if (run >= rule.topP) break;
        }
        keep = out;
      }
      const z = [...keep].reduce((s, i) => s + p[i]!, 0);
      p = p.map((x, i) => (keep.has(i) ? x / z : 0));
      const draws = 2000;
      const counts = new Array<number>(LOGITS.length).fill(0);
      const rng = rowStream(2026, 7);
      for (let i = 0; i < draws; i++) counts[sampleToken(LOGITS, rule, rng)]++;
      counts.forEach((c, i) => {
        if (p[i] === 0) assert.equal(c, 0, `token ${i} was cut but drawn ${c} times`);
      });
      const cells = p.map((x, i) => [x, counts[i]!] as const).filter(([x]) => x > 0);
      const chi2 = cells.reduce((s, [x, c]) => s + (c - draws * x) ** 2 / (draws * x), 0);
      assert.ok(chi2 < chiSquareCritical(cells.length - 1), `χ² ${chi2.toFixed(2)} over ${cells.length - 1} degrees of freedom (limit ${chiSquareCritical(cells.length - 1).toFixed(2)}); counts ${counts}`);
    });
  }

  it('the log-probability is the model\'s own, untempered (within 1e-6: its exponentials are fastExp\'s)', () => {
    const p = softmax(LOGITS, 1);
    for (let i = 0; i < LOGITS.length; i++) assert.ok(Math.abs(logProbability(LOGITS, i) - Math.log(p[i]!)) < 1e-6);
  });
});
