// The reference evaluator against formulas written out independently here, and its per-token
// weights against central finite differences (on objectives without sg, whose value a difference would see).
import { strict as assert } from 'node:assert';
import { compile } from '../../src/compile.js';
import { memoryHost } from '../../src/check/host.js';
import { evaluateObjective, keep, type EvalInputs } from '../../src/ir/reference-eval.js';
import type { Objective } from '../../src/ir/nodes.js';

const TFIDF = 'tfidf(smooth = true, sublinear = false)';

function objective(source: string): Objective {
  const r = compile(source, { file: 'e.sftgo', host: memoryHost({}) });
  assert.ok(r.objective, JSON.stringify(r.diagnostics.map((d) => d.message)));
  return r.objective;
}

function close(actual: number, expected: number, tol = 1e-9, what = '') {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what} ${actual} vs ${expected}`);
}

/** A deterministic pseudo-random sequence (LCG), so the tests need no seed plumbing. */
function numbers(n: number, seed: number, lo = 0.1, hi = 4): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return lo + ((hi - lo) * s) / 2147483648;
  });
}

describe('reference evaluator', () => {
  const sampleOf = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1];
  const ce = numbers(14, 1);
  const scores = numbers(14, 2, 0, 1);

  it('keeps ceil(P·n) tokens, robust to floating point', () => {
    assert.equal(keep(0.3, 10), 3);
    assert.equal(keep(0.3, 4), 2);
    assert.equal(keep(0, 7), 0);
    assert.equal(keep(1, 7), 7);
    assert.equal(keep(0.6, 5), 3);
  });

  it('SFT-GO: value and weights match the paper formula written out by hand', () => {
    const o = objective('group important = tfidf(top 30%); loss = λ·max(groups) + (1-λ)·ce');
    const r = evaluateObjective(o, { sampleOf, ce, scores: { [TFIDF]: scores } });
    // Independent: per sample, the ceil(0.3·n) highest scores, ties to the earlier position.
    const important = new Array<boolean>(14).fill(false);
    for (const s of [0, 1]) {
      const idx = sampleOf.map((x, i) => (x === s ? i : -1)).filter((i) => i >= 0);
      idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
      for (const i of idx.slice(0, Math.round(0.3 * idx.length + 0.4999))) important[i] = true;
    }
    assert.deepEqual(r.groupOf.map((g) => g === 0), important);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const mi = mean(ce.filter((_, i) => important[i]));
    const mr = mean(ce.filter((_, i) => !important[i]));
    const λ = 0.9;
    close(r.loss, λ * Math.max(mi, mr) + (1 - λ) * mean(ce));
    const worstIsImportant = mi >= mr;
    const nWorst = important.filter((x) => x === worstIsImportant).length;
    r.weights.forEach((w, i) => close(w, (important[i] === worstIsImportant ? λ / nWorst : 0) + (1 - λ) / 14, 1e-9, `token ${i}`));
  });

  it('ties in scores go to the earlier position; per batch ranks the whole batch', () => {
    const o = objective('group g = tfidf(top 50%)\nloss = mean(ce[g])');
    const r = evaluateObjective(o, { sampleOf: [0, 0, 0, 0], ce: [1, 2, 3, 4], scores: { [TFIDF]: [0.5, 0.5, 0.5, 0.9] } });
    assert.deepEqual(r.groupOf, [0, 1, 1, 0]);
    const batch = objective('group g = tfidf(top 25% per batch)\nloss = mean(ce[g])');
    const rb = evaluateObjective(batch, { sampleOf: [0, 0, 1, 1], ce: [1, 2, 3, 4], scores: { [TFIDF]: [0.1, 0.2, 0.9, 0.3] } });
    assert.deepEqual(rb.groupOf, [1, 1, 0, 1]);
    close(rb.loss, 3);
  });

  it('max(groups) skips empty groups; the mean of an empty restriction is 0', () => {
    const o = objective('group never = tfidf() > 2\nloss = max(groups) + mean(ce[never])');
    const r = evaluateObjective(o, { sampleOf: [0, 0], ce: [1, 3], scores: { [TFIDF]: [0.1, 0.2] } });
    close(r.loss, 2);
    assert.deepEqual(r.weights, [0.5, 0.5]);
  });

  it('DFT: weights are the detached probabilities over N', () => {
    const r = evaluateObjective(objective('loss = mean(sg(p)·ce)'), { sampleOf: [0, 0, 1], ce: [0.5, 1, 2] });
    [0.5, 1, 2].forEach((c, i) => close(r.weights[i]!, Math.exp(-c) / 3));
    close(r.loss, [0.5, 1, 2].reduce((a, c) => a + Math.exp(-c) * c, 0) / 3);
  });

  it('GFT: weight 1 above τ, p below, times the advantage', () => {
    const o = objective('param τ = 0.1\nloss = mean(where(p > τ, 1, sg(p))·ce·advantage)');
    const ce3 = [0.5, 3, 1];
    const adv = [1, -0.5, 2];
    const r = evaluateObjective(o, { sampleOf: [0, 1, 1], ce: ce3, advantage: adv });
    ce3.forEach((c, i) => close(r.weights[i]!, ((Math.exp(-c) > 0.1 ? 1 : Math.exp(-c)) * adv[i]!) / 3));
  });

  it('Group DRO: q moves toward the worse group and the value uses the updated q', () => {
    const o = objective('group g = tfidf(top 50%)\nloss = dro(groups, step = 0.5)');
    const r = evaluateObjective(o, { sampleOf: [0, 0], ce: [4, 1], scores: { [TFIDF]: [0.9, 0.1] } });
    const q0 = 0.5 * Math.exp(0.5 * 4);
    const q1 = 0.5 * Math.exp(0.5 * 1);
    const z = q0 + q1;
    assert.deepEqual(r.droWeights!.map((x) => Number(x.toFixed(12))), [q0 / z, q1 / z].map((x) => Number(x.toFixed(12))));
    close(r.loss, (q0 / z) * 4 + (q1 / z) * 1);
    close(r.weights[0]!, q0 / z);
  });

  it('seqmean averages sample means; schedules follow the step', () => {
    const r = evaluateObjective(objective('loss = seqmean(ce)'), { sampleOf: [0, 0, 0, 1], ce: [1, 2, 3, 10] });
    close(r.loss, (2 + 10) / 2);
    close(r.weights[3]!, 0.5);
    close(r.weights[0]!, 1 / 6);
    const sched = objective('param λ = linear(1 -> 0, over = 50%)\nloss = λ·mean(ce)');
    close(evaluateObjective(sched, { sampleOf: [0], ce: [2], step: 25, totalSteps: 100 }).loss, 1);
    close(evaluateObjective(sched, { sampleOf: [0], ce: [2], step: 80, totalSteps: 100 }).loss, 0);
    close(evaluateObjective(sched, { sampleOf: [0], ce: [2], step: 0, totalSteps: 100, params: { λ: 0.25 } }).loss, 0.5);
  });

  it('per-token weights match central finite differences on smooth objectives', () => {
    const sources = [
      'group g = tfidf(top 40%)\nloss = smoothmax(groups, temperature = 0.7) + 0.1·mean(exp(-ce)·ce)',
      'loss = sqrt(mean(ce^2)) + log(mean(p)) + mean(clip(ce, 0.5, 3.5)) - seqmean(logp)',
      'group g = tfidf(top 30%)\nloss = mean(groups, of = p·ce) + cvar(ce, 20%)',
    ];
    const base: EvalInputs = { sampleOf, ce, scores: { [TFIDF]: scores } };
    for (const source of sources) {
      const o = objective(source);
      const r = evaluateObjective(o, base);
      const h = 1e-6;
      r.weights.forEach((w, i) => {
        const plus = [...ce];
        const minus = [...ce];
        plus[i]! += h;
        minus[i]! -= h;
        const numeric = (evaluateObjective(o, { ...base, ce: plus }).loss - evaluateObjective(o, { ...base, ce: minus }).loss) / (2 * h);
        close(w, numeric, 1e-5, `${source} token ${i}`);
      });
    }
  });

  it('reports missing inputs by name', () => {
    assert.throws(() => evaluateObjective(objective('group g = tfidf(top 30%)\nloss = max(groups)'), { sampleOf: [0], ce: [1] }), /inputs\.scores\["tfidf/);
    assert.throws(() => evaluateObjective(objective('loss = mean(ce·advantage)'), { sampleOf: [0], ce: [1] }), /inputs\.advantage/);
  });
});
