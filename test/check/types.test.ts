import { strict as assert } from 'node:assert';
import { codes, lossText, run, where } from './helpers.js';

describe('types', () => {
  it('broadcasts scalar ∘ tokens and takes the implicit token mean of a tokens loss', () => {
    assert.equal(lossText(run('loss = (1-λ)·ce')), '(1 - λ) * mean(ce)');
  });
  it('names both types and points at the operator', () => {
    const r = run('group g = tfidf(top 30%)\nloss = max(groups) + groups');
    assert.deepEqual(where(r), ['E0301@2:20']);
    assert.equal(r.diagnostics[0]!.message, '`+` cannot combine scalar and groups');
  });
  it('a mask in arithmetic needs where', () => {
    const r = run('group g = tfidf(top 30%)\nloss = mean(g·ce)');
    assert.deepEqual(where(r), ['E0301@2:14']);
    assert.match(r.diagnostics[0]!.hint!, /where/);
    assert.deepEqual(codes(run('group g = tfidf(top 30%)\nloss = mean(where(g, 2, 1)·ce)')), []);
  });
  it('comparisons of tokens give masks; of scalars they are an error', () => {
    assert.deepEqual(codes(run('group rare = tfidf() > 0.2 and p < 0.5\nloss = max(groups)')), []);
    assert.deepEqual(where(run('loss = mean(ce)\ngroup g = λ > 0.5')), ['E0301@2:13']);
  });
  it('and/or/not combine masks only', () => {
    assert.deepEqual(where(run('group g = tfidf(top 30%) and 1\nloss = max(groups)')), ['E0301@1:26']);
    assert.deepEqual(where(run('loss = mean(ce[not ce])')), ['E0301@1:16']);
  });
  it('checks arity and keyword arguments with did-you-mean', () => {
    assert.deepEqual(codes(run('loss = mean(ce, entropy)')), ['E0303']);
    const r = run('group g = tfidf(smoth = false, top 30%)\nloss = max(groups)');
    assert.deepEqual(codes(r), ['E0304']);
    assert.equal(r.diagnostics[0]!.hint, 'did you mean `smooth`?');
    assert.deepEqual(codes(run('group g = tfidf(top 30%)\nloss = mean(ce, of = ce)')), ['E0304']);
  });
  it('a scorer without a rank is tokens, with one a mask', () => {
    assert.deepEqual(codes(run('let w = tfidf()\nloss = mean(w·ce)')), []);
    assert.deepEqual(codes(run('group g = tfidf()\nloss = mean(ce)')), ['E0504']);
  });
  it('`top η` needs a name bound to a percent; --param changes what is checked', () => {
    assert.deepEqual(codes(run('param η = 30%\ngroup g = tfidf(top η)\nloss = max(groups)')), []);
    assert.deepEqual(codes(run('param η = 3\ngroup g = tfidf(top η)\nloss = max(groups)')), ['E0505']);
    assert.deepEqual(codes(run('param η = 30%\ngroup g = tfidf(top η)\nloss = max(groups)', {}, { η: 2 })), ['E0505']);
    assert.deepEqual(codes(run('group g = tfidf(top 0.3)\nloss = max(groups)')), ['E0505']);
  });
  it('percent literals must lie in [0%, 100%], pointing at the literal, including 0% and 100%', () => {
    assert.deepEqual(codes(run('group g = tfidf(top 0%)\ngroup h = tfidf(top 100%)\nloss = max(groups)')), []);
    assert.deepEqual(where(run('loss = cvar(ce, 101%)')), ['E0501@1:17']);
  });
  it('per corpus needs a static scorer', () => {
    assert.deepEqual(codes(run('group g = tfidf(top 30% per corpus)\nloss = max(groups)')), []);
    assert.deepEqual(where(run('group g = entropy(top 30% per corpus)\nloss = max(groups)')), ['E0503@1:27']);
  });
  it('loss must be scalar or tokens', () => {
    assert.deepEqual(codes(run('loss = 0.5')), ['E0305']);
    assert.deepEqual(codes(run('loss = max(groups)')), []);
  });
  it('x[g] can only be reduced', () => {
    assert.deepEqual(codes(run('group g = tfidf(top 30%)\nloss = mean(ce[g] + 1)')), ['E0301']);
    assert.deepEqual(codes(run('group g = tfidf(top 30%)\nloss = mean(0.5[g])')), ['E0307']);
  });
  it('min(groups) is not defined, max of one value is an arity error', () => {
    assert.deepEqual(codes(run('loss = min(groups, ce)')), ['E0302']);
    assert.deepEqual(codes(run('loss = max(ce)')), ['E0303']);
  });
  it('schedule ends and rates must be constants', () => {
    assert.deepEqual(codes(run('group g = tfidf(top 30%)\nloss = smoothmax(groups, temperature = mean(ce))')), ['E0302']);
    assert.deepEqual(codes(run('param λ = linear(0.9, 0.1)\nloss = λ·mean(ce)')), ['E0302']);
    assert.deepEqual(codes(run('param λ = linear(0.9 -> 0.1, over = 2)\nloss = λ·mean(ce)')), ['E0308']);
  });
  it('scorer arguments are literals of the right type and choice', () => {
    assert.deepEqual(codes(run('group g = tfidf(smooth = 1, top 30%)\nloss = max(groups)')), ['E0302']);
    assert.deepEqual(codes(run('group g = llmlingua2(model = "m", aggregate = "max", top 30%)\nloss = max(groups)')), ['E0302']);
    assert.deepEqual(codes(run('group g = column(top 30%)\nloss = max(groups)')), ['E0303']);
  });
  it('a reference-model quantity without a reference block is an error (E0508); each form of the block satisfies it', () => {
    const r = run('loss = mean(ce) + mean(excess)');
    assert.deepEqual(codes(r), ['E0508']);
    assert.deepEqual(codes(run('group g = excess_loss(top 30%)\nloss = max(groups)')), ['E0508']);
    for (const block of ['reference { path = "ref" }', 'reference { path = "self" }', 'reference { train = "ref.sftgo" }']) {
      const withBlock = run(`loss = mean(excess)\n${block}`);
      assert.deepEqual(codes(withBlock), [], block);
      assert.equal(withBlock.objective!.requires.reference, true);
    }
    // One form, not two: path and train together, or neither, is E0403.
    assert.deepEqual(codes(run('loss = mean(excess)\nreference { path = "ref", train = "ref.sftgo" }')), ['E0403']);
    assert.deepEqual(codes(run('loss = mean(excess)\nreference { train = "ref.txt" }')), ['E0403']);
  });
});

describe('groups and rest', () => {
  it('a group cannot be defined through rest, but the loss can use rest', () => {
    assert.deepEqual(codes(run('group g = not rest\nloss = max(groups)')), ['E0504']);
    assert.deepEqual(codes(run('group g = tfidf(top 30%)\nloss = mean(ce[rest])')), []);
  });
  it('a group may use an earlier group', () => {
    assert.deepEqual(codes(run('group a = tfidf(top 30%)\ngroup b = not a and position < 5\nloss = max(groups)')), []);
  });
});

describe('first arguments given by keyword', () => {
  it('mean(x = …), smoothmax(groups = groups, …) and dro(groups = groups, …) compile like the positional forms', () => {
    assert.equal(lossText(run('loss = mean(x = ce)')), 'mean(ce)');
    assert.equal(lossText(run('group g = tfidf(top 30%)\nloss = smoothmax(groups = groups, temperature = 2)')), 'smoothmax(mean(ce[g]), mean(ce[rest]), temperature = 2)');
    assert.equal(lossText(run('group g = tfidf(top 30%)\nloss = dro(step = 0.1, groups = groups)')), 'dro(mean(ce[g]), mean(ce[rest]), step = 0.1)');
  });
});
