// The lowering tests' objectives and input shapes, shared by every engine's check against the
// reference evaluator (test/lower/tensor-vs-reference.test.ts, test/engine/torch/objective.test.ts).
import type { InputShape } from './helpers.js';

export const SHAPES: InputShape[] = [
  { sizes: [10, 4], seed: 1 },
  { sizes: [1, 7, 3, 12], seed: 2 },
  { sizes: [5, 0, 6], seed: 3, ties: true },
  { sizes: [9], seed: 4, ce: (r) => (r() < 0.5 ? 1e-6 : 30 + 40 * r()) },
];

/** Every function and schedule of §7, token quantity of §5 and selector form of §6. */
export const FUNCTIONS: Record<string, string> = {
  'mean': 'loss = mean(ce)',
  'sum, seqmean, pow': 'loss = sum(ce) / 10 + seqmean(ce) + mean(ce ^ 2)',
  'restriction, count': 'group g = tfidf(top 30%)\nloss = mean(ce[g]) + seqmean(ce[g]) + sum(ce[g]) / 5 + count(g) / 100',
  'cvar': 'loss = cvar(ce, 25%) + cvar(ce[ce > 1], 50%)',
  'elementwise max/min': 'loss = mean(max(ce, 2 * p)) + mean(min(ce, 1)) + max(mean(ce), 1) + min(mean(ce), 2)',
  'exp log sqrt abs': 'loss = mean(exp(-ce) + log(ce + 1) + sqrt(ce + 0.5) + abs(ce - 2))',
  'clip': 'loss = mean(clip(ce, 0.5, 3))',
  'where, compare': 'loss = mean(where(ce > 1, ce, sg(ce) * 2)) + mean(where(p <= 0.3 and ce != 2, 1, p))',
  'sg': 'loss = mean(sg(p) * ce) + mean(stopgrad(ce) * ce)',
  'logp, p': 'loss = mean(-logp * p) + mean(exp(logp))',
  'entropy, position, reward, advantage': 'loss = mean(ce / (1 + entropy)) + mean(position * ce) / 10 + mean(reward * ce) + mean(advantage * ce)',
  // A reference must be named (E0508); the tests supply ref_ce themselves.
  'ref_ce, excess': 'loss = mean(excess) + mean(ref_ce * ce) / 4\nreference { path = "self" }',
  'raw scores': 'loss = mean(tfidf() * ce) + mean(frequency() * ce) + mean(loss() * ce)',
  'max(groups)': 'group a = tfidf(top 30%)\ngroup b = random() > 0.5\nloss = max(groups)',
  'max(groups, of)': 'group a = tfidf(top 30%)\nloss = max(groups, of = ce * ce)',
  'mean(groups)': 'group a = tfidf(top 30%)\ngroup b = frequency(bottom 20%)\nloss = mean(groups)',
  'smoothmax': 'group a = tfidf(top 30%)\nloss = smoothmax(groups, temperature = 0.5)',
  'smoothmax of': 'group a = tfidf(top 30%)\nloss = smoothmax(groups, temperature = 2, of = p)',
  'dro': 'group a = tfidf(top 30%)\ngroup b = random() < 0.3\nloss = dro(groups, step = 0.5)',
  'linear': 'param λ = linear(0.9 -> 0.1, over = 50%)\nloss = λ * mean(ce) + (1 - λ) * mean(ce * ce)',
  'cosine': 'param λ = cosine(1 -> 0)\nloss = λ * mean(ce) + (1 - λ) * max(mean(ce), 2)',
  'const, step, progress': 'param λ = const(0.3)\nloss = λ * mean(ce) * (1 + progress) + step / 1000',
  'per batch, dynamic': 'group sel = excess_loss(top 60% per batch)\nloss = mean(ce[sel])\nreference { path = "self" }',
  'entropy(), loss() selectors': 'group e = entropy(top 50%)\ngroup l = loss(bottom 20%)\nloss = max(groups)',
  'regex': 'group r = regex("^a")\nloss = mean(ce[r]) + max(groups)',
  'per corpus': 'group c = tfidf(top 30% per corpus)\nloss = max(groups)',
  'boolean selectors': 'group n = not (tfidf() > 0.5) and (random() < 0.7 or ce > 2)\nloss = max(groups) + mean(ce[not n])',
  'empty group': 'group never = tfidf() > 2\nloss = max(groups) + mean(ce[never]) + smoothmax(groups, temperature = 1) + mean(groups) + dro(groups, step = 1)',
  'only empty': 'group all = tfidf() >= 0\nloss = mean(ce[rest]) + count(rest)',
  // Linear in ce with a max on either side of a difference and negative coefficients (src/lower/linear-form.ts).
  'linear combination': 'param λ = 0.7\ngroup a = tfidf(top 30%)\nloss = 3 - max(groups) / 2 + λ * mean(ce) - (1 - λ) * sum(ce[a]) / 10 + max(groups) * step',
};
