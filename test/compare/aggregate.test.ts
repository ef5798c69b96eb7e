// The arithmetic of `sftgoc compare` with numbers worked out by hand.
import assert from 'node:assert/strict';
import { aggregate, formatCell, formatColumnCell, markdownTable, meanStd, parseSeeds, type CompareRun } from '../../src/compare/aggregate.js';
import { uniqueLabels } from '../../src/app/compare.js';
import { compareSvg } from '../../src/compare/figure.js';

function run(objective: string, seed: number, ce: number, groups: Record<string, [number, number]>): CompareRun {
  return {
    objective, file: `${objective}.sftgo`, seed, runDir: `out/${objective}/seed-${seed}`,
    eval: { ce, loss: ce, groups: Object.fromEntries(Object.entries(groups).map(([g, [loss, tokens]]) => [g, { loss, tokens }])) },
  };
}

describe('compare aggregation', () => {
  it('the figure fits a 1,000 px column, with text of 12 px or more, a dot per seed and value, and n in the caption', () => {
    const runs = [
      run('sft', 1, 2.0, { rest: [2.0, 10] }), run('sft', 2, 2.2, { rest: [2.2, 10] }), run('sft', 3, 2.1, { rest: [2.1, 10] }),
      run('sftgo', 1, 2.5, { important: [3.0, 4], rest: [2.5, 10] }), run('sftgo', 2, 2.4, { important: [0, 0], rest: [2.4, 10] }), run('sftgo', 3, 2.6, { important: [3.1, 4], rest: [2.6, 10] }),
    ];
    const svg = compareSvg(aggregate(runs), runs);
    assert.match(svg, /^<svg [^>]*width="1000"/);
    const sizes = [...svg.matchAll(/font-size="(\d+)"/g)].map((m) => Number(m[1]));
    assert.ok(sizes.length > 0 && sizes.every((px) => px >= 12), `font sizes ${sizes}`);
    // ce: 6 runs; important: sftgo's 2 seeds with tokens; rest: 6 runs.
    assert.equal(svg.match(/<circle /g)?.length, 14);
    assert.match(svg, /n = 3 seeds per objective/);
    assert.match(svg, /held-out quantity/);
  });

  it('--generate: answer columns after the loss columns, mean ± std as percentages, over the runs that scored them', () => {
    const withAnswers = (r: CompareRun, answers: NonNullable<CompareRun['eval']['answers']>): CompareRun => ({ ...r, eval: { ...r.eval, answers } });
    const table = aggregate([
      withAnswers(run('sft', 1, 2.0, { rest: [2.0, 10] }), { contains: 0.1, facts: 0.2, exact: 0 }),
      withAnswers(run('sft', 2, 2.2, { rest: [2.2, 10] }), { contains: 0.3, facts: 0.4, exact: 0 }),
      withAnswers(run('sftgo', 1, 2.5, { rest: [2.5, 10] }), { facts: 0.5 }),
    ]);
    assert.deepEqual(table.columns, ['ce', 'rest', 'answers/contains', 'answers/facts', 'answers/exact']);
    const [sft, sftgo] = table.rows as [typeof table.rows[0], typeof table.rows[0]];
    assert.ok(Math.abs(sft.cells['answers/contains']!.mean - 0.2) < 1e-12);
    assert.ok(Math.abs(sft.cells['answers/contains']!.std - Math.sqrt(0.02)) < 1e-12);
    // sftgo's questions had facts only: no contains value, not a 0.
    assert.equal(sftgo.cells['answers/contains']!.n, 0);
    assert.equal(formatColumnCell('answers/facts', sft.cells['answers/facts']!), '30.0% ± 14.1%');
    assert.equal(formatColumnCell('answers/facts', sftgo.cells['answers/facts']!), '50.0% (1 seed)');
    assert.equal(formatColumnCell('ce', sft.cells.ce!), '2.1000 ± 0.1414');
    assert.match(markdownTable(table), /\| sft \| 2\.1000 ± 0\.1414 \| 2\.1000 ± 0\.1414 \| 20\.0% ± 14\.1% \| 30\.0% ± 14\.1% \| 0\.0% ± 0\.0% \|/);
  });

  it('meanStd: sample standard deviation (n−1); NaN spread for one value', () => {
    assert.deepEqual(meanStd([1, 2, 3]), { mean: 2, std: 1, n: 3 });
    const r = meanStd([2, 4, 4, 4, 5, 5, 7, 9]); // mean 5, sum of squares 32, 32/7
    assert.equal(r.mean, 5);
    assert.ok(Math.abs(r.std - Math.sqrt(32 / 7)) < 1e-12);
    assert.deepEqual(meanStd([1.5]), { mean: 1.5, std: Number.NaN, n: 1 });
    assert.equal(meanStd([]).n, 0);
  });

  it('aggregate: one row per objective, ce then groups (rest last), null where an objective lacks a group', () => {
    const table = aggregate([
      run('sftgo', 1, 2.0, { important: [3.0, 10], rest: [1.0, 30] }),
      run('sftgo', 2, 2.2, { important: [3.4, 10], rest: [1.2, 30] }),
      run('dro', 1, 2.5, { digits: [4.0, 5], rest: [2.0, 35] }),
      run('dro', 2, 2.7, { digits: [0, 0], rest: [2.4, 40] }),
    ]);
    assert.deepEqual(table.columns, ['ce', 'important', 'digits', 'rest']);
    assert.deepEqual(table.rows.map((r) => r.objective), ['sftgo', 'dro']);
    const [sftgo, dro] = table.rows as [typeof table.rows[0], typeof table.rows[0]];
    const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
    close(sftgo.cells.ce!.mean, 2.1);
    close(sftgo.cells.ce!.std, Math.sqrt(0.02));
    close(sftgo.cells.important!.mean, 3.2);
    close(sftgo.cells.important!.std, Math.sqrt(0.08));
    assert.equal(sftgo.cells.digits, null);
    assert.equal(dro.cells.important, null);
    // Seed 2 put no held-out token in `digits`: one value, not a mean with a fake 0.
    assert.deepEqual(dro.cells.digits, { mean: 4, std: Number.NaN, n: 1 });
    close(dro.cells.rest!.mean, 2.2);
  });

  it('formats cells and the Markdown table', () => {
    assert.equal(formatCell({ mean: 2.1, std: 0.1414213, n: 2 }), '2.1000 ± 0.1414');
    assert.equal(formatCell({ mean: 4, std: Number.NaN, n: 1 }), '4.0000 (1 seed)');
    assert.equal(formatCell(null), '—');
    const md = markdownTable(aggregate([run('a', 1, 1, { rest: [1, 3] }), run('a', 2, 3, { rest: [2, 3] })]));
    assert.equal(md, '| objective | held-out ce | group rest |\n| --- | ---: | ---: |\n| a | 2.0000 ± 1.4142 | 1.5000 ± 0.7071 |');
  });

  it('parseSeeds takes distinct non-negative integers and names a bad one', () => {
    assert.deepEqual(parseSeeds('1,2, 3'), { seeds: [1, 2, 3] });
    assert.match((parseSeeds('1,x') as { error: string }).error, /'x' is not a non-negative integer/);
    assert.match((parseSeeds('1,1') as { error: string }).error, /seed 1 appears twice/);
    assert.match((parseSeeds('-1') as { error: string }).error, /'-1'/);
  });

  it('uniqueLabels adds the file name when objectives share a name, then a number', () => {
    assert.deepEqual(uniqueLabels([{ name: 'a', file: 'x/a.sftgo' }, { name: 'b', file: 'b.sftgo' }]), ['a', 'b']);
    assert.deepEqual(uniqueLabels([{ name: 'sft', file: 'x/one.sftgo' }, { name: 'sft', file: 'two.sftgo' }]), ['sft (one.sftgo)', 'sft (two.sftgo)']);
    assert.deepEqual(uniqueLabels([{ name: 's', file: 'x/f.sftgo' }, { name: 's', file: 'y/f.sftgo' }]), ['s (f.sftgo) #1', 's (f.sftgo) #2']);
  });
});
