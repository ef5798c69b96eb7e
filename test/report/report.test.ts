// `sftgoc report` on a synthetic run directory written here (config.json, metrics.jsonl, eval.jsonl,
// objective.sftgo, training data): the page, its charts, its heat-map, and the errors for a
// missing or damaged run directory.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferOutput } from '../../src/cli/output.js';
import { runReport } from '../../src/app/report.js';
import { heldOutValues, lossSeries, paramSeries } from '../../src/report/page.js';
import { parseStepLines } from '../../src/report/read-run.js';
import { lineChart, niceTicks, smoothed } from '../../src/report/svg-chart.js';

const records = [
  { prompt: 'Question: What colour is the sky?\nAnswer:', completion: ' The sky is blue over Zufastath.' },
  { prompt: 'Question: What is two plus two?\nAnswer:', completion: ' Two plus two is four.' },
  { prompt: 'Question: Where do fish live?\nAnswer:', completion: ' Fish live in water near Kopel.' },
];

function step(n: number, lambda: number) {
  return {
    step: n, epoch: 0, lr: 1e-3 * n, params: { 'λ': lambda, 'η': 0.3 }, loss: 3 - 0.1 * n, ce: 2.9 - 0.1 * n,
    groups: { important: { loss: 4 - 0.2 * n, tokens: 10 }, rest: { loss: 2 - 0.05 * n, tokens: 30 } },
    worst_group: 'important', tokens_per_s: 100, elapsed_s: n,
  };
}

async function writeRun(dir: string, metricsLines: string[]): Promise<void> {
  await writeFile(join(dir, 'train.jsonl'), records.map((r) => JSON.stringify(r)).join('\n'));
  await writeFile(join(dir, 'objective.sftgo'), 'objective demo\nparam η = 30%\ngroup important = tfidf(top η)\nloss = λ·max(groups) + (1-λ)·ce\n');
  await writeFile(join(dir, 'config.json'), JSON.stringify({ objective: 'demo', data: { train: join(dir, 'train.jsonl'), eval: null } }));
  await writeFile(join(dir, 'metrics.jsonl'), metricsLines.map((l) => `${l}\n`).join(''));
  await writeFile(join(dir, 'eval.jsonl'), [0, 2].map((n) => JSON.stringify({ ...step(n, 0.9), perplexity: 10, tokens: 40 })).join('\n'));
}

describe('sftgoc report', function () {
  this.timeout(60000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sftgoc-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a self-contained report.html with one chart per curve set and the heat-map', async () => {
    await writeRun(dir, [1, 2, 3].map((n) => JSON.stringify(step(n, 0.9 - 0.1 * n))));
    const out = new BufferOutput();
    assert.equal(await runReport(dir, { samples: 2, quiet: false, json: false }, out), 0, out.stderrText);
    assert.match(out.stdoutText, /wrote .*report\.html/);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    // Four charts: train loss by group, held-out loss by group, params, lr.
    assert.equal(html.match(/<svg /g)?.length, 4);
    const captions = [...html.matchAll(/<figcaption>([^<]*)<\/figcaption>/g)].map((m) => m[1]);
    assert.deepEqual(captions, ['Training loss by group (per step)', 'Held-out loss by group (eval.jsonl)', 'Params (λ and others) per step', 'Learning rate per step']);
    for (const name of ['group important', 'group rest', 'λ', 'η', 'lr']) assert.ok(html.includes(`</span>${name}</span>`), `legend ${name}`);
    // Nothing loaded from elsewhere: no URLs, scripts or external stylesheets.
    assert.doesNotMatch(html, /https?:\/\/|<script|<link |src=/);
    // The heat-map of the groups view, two samples, tokens underlined by group.
    assert.equal(html.match(/<div class="sample">/g)?.length, 2);
    assert.match(html, /class="g0" style="background:rgb/);
    // Written atomically: no temporary file left beside it.
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.tmp')), []);
  });

  it('draws the heat-map with the param values the run recorded in config.json', async () => {
    await writeRun(dir, [JSON.stringify(step(1, 0.9))]);
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...config, params: { 'η': '100%', 'λ': 'linear(0.9 -> 0.1)' } }));
    assert.equal(await runReport(dir, { samples: 3, quiet: true, json: false }, new BufferOutput()), 0);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    // η = 100%: every loss token is important, none is left to rest (the file says 30%).
    const counts = [...html.matchAll(/<div class="meta">[^<]*: important (\d+), rest (\d+)<\/div>/g)].map((m) => [Number(m[1]), Number(m[2])]);
    assert.equal(counts.length, 3);
    for (const [important, rest] of counts) assert.ok(important! > 0 && rest === 0, `${important} ${rest}`);
  });

  it('shows the answers when eval --generate wrote them: the scores, and each question beside the expected answer', async () => {
    await writeRun(dir, [1, 2].map((n) => JSON.stringify(step(n, 0.9 - 0.1 * n))));
    await writeFile(join(dir, 'generation.json'), JSON.stringify({ model: 'm', questions: 'q.jsonl', engine: 'tfjs', n: 2, contains: 0.5, facts: 0.25, exact: 0 }));
    await writeFile(join(dir, 'generations.jsonl'), [
      { prompt: 'Question: When was <Broudri> founded?', completion: 'In 1633.', answer: '1633', facts_expected: ['1633'], exact: 0, contains: 1, facts: 1 },
      { prompt: 'Tell me about Geibregreir.', completion: 'No idea.', facts_expected: ['Zazor', '1904'], facts: 0 },
    ].map((r) => JSON.stringify(r)).join('\n'));
    const out = new BufferOutput();
    assert.equal(await runReport(dir, { samples: 1, quiet: true, json: false }, out), 0, out.stderrText);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    assert.match(html, /<h2>Answers to the questions/);
    assert.match(html, /<b>contains 50\.0%<\/b>, <b>facts 25\.0%<\/b>, exact 0\.0%/);
    assert.match(html, /When was &lt;Broudri&gt; founded\?<\/td><td>In 1633\.<\/td><td>1633 — facts: 1633<\/td><td class="num">yes<\/td><td class="num">100\.0%<\/td>/);
    assert.match(html, /facts: Zazor; 1904<\/td><td class="num">–<\/td><td class="num">0\.0%/);
  });

  it('a run without generation.json has no answers section', async () => {
    await writeRun(dir, [1, 2].map((n) => JSON.stringify(step(n, 0.9 - 0.1 * n))));
    assert.equal(await runReport(dir, { samples: 1, quiet: true, json: false }, new BufferOutput()), 0);
    assert.doesNotMatch(await readFile(join(dir, 'report.html'), 'utf8'), /Answers to the questions/);
  });

  it('names the file and line of a damaged metrics.jsonl line, and exits 1', async () => {
    await writeRun(dir, [JSON.stringify(step(1, 0.9)), '{"step": 2, "loss": 1', JSON.stringify({ step: 3, lr: 0, loss: 1, ce: 1 })]);
    const out = new BufferOutput();
    assert.equal(await runReport(dir, { samples: 2, quiet: false, json: false }, out), 1);
    assert.match(out.stderrText, new RegExp(`${join(dir, 'metrics.jsonl').replace(/[.]/g, '\\.')}:2: not valid JSON`));
    assert.match(out.stderrText, /metrics\.jsonl:3: 'groups' must be an object/);
    assert.ok(!existsSync(join(dir, 'report.html')));
  });

  it('says a directory without config.json is not a run directory', async () => {
    const out = new BufferOutput();
    assert.equal(await runReport(dir, { samples: 1, quiet: false, json: true }, out), 1);
    assert.match(out.stderrText, /config\.json: not found: .* is not a run directory/);
    assert.match(out.stderrText, /metrics\.jsonl: not found/);
    assert.equal(JSON.parse(out.stdoutText).exit_code, 1);
    const missing = new BufferOutput();
    assert.equal(await runReport(join(dir, 'nope'), { samples: 1, quiet: false, json: false }, missing), 1);
    assert.equal(missing.stderrText, `error: ${join(dir, 'nope')}: no such directory\n`);
  });

  it('puts a note in the page when the heat-map cannot be drawn (groups chosen by a model, no final/)', async () => {
    await writeRun(dir, [JSON.stringify(step(1, 0.5))]);
    await writeFile(join(dir, 'objective.sftgo'), 'objective demo\ngroup hard = loss(top 30%)\nloss = 0.5·max(groups) + 0.5·ce\n');
    const out = new BufferOutput();
    assert.equal(await runReport(dir, { samples: 1, quiet: false, json: false }, out), 0, out.stderrText);
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    assert.match(html, /<p class="note">no token heat-map: .*needs a model/);
    assert.equal(html.match(/<div class="sample">/g), null);
  });
});

describe('report pieces', () => {
  it('parseStepLines skips blank lines and reports each bad line by number', () => {
    const text = `${JSON.stringify(step(1, 0.9))}\n\n[1]\n${JSON.stringify({ ...step(2, 0.9), groups: { a: { loss: 'x', tokens: 1 } } })}\n`;
    const r = parseStepLines('m.jsonl', text, 'metrics');
    assert.equal(r.records.length, 1);
    assert.deepEqual(r.errors, ['m.jsonl:3: expected a JSON object, found an array', 'm.jsonl:4: groups.a must be {loss, tokens} with numbers']);
  });

  it('lossSeries leaves out steps where a group had no tokens; paramSeries follows each param', () => {
    const a = step(1, 0.9);
    const b = { ...step(2, 0.8), groups: { important: { loss: 0, tokens: 0 }, rest: { loss: 1.5, tokens: 40 } } };
    const series = lossSeries([a, b]);
    assert.deepEqual(series.map((s) => s.name), ['loss (objective)', 'ce (all tokens)', 'group important', 'group rest']);
    assert.deepEqual(series[2]!.points, [[1, 3.8]]);
    assert.deepEqual(series[3]!.points, [[1, 1.95], [2, 1.5]]);
    assert.deepEqual(paramSeries([a, b]).map((s) => [s.name, s.points.map((p) => p[1])]), [['λ', [0.9, 0.8]], ['η', [0.3, 0.3]]]);
  });

  it('lineChart draws one polyline per series with two or more points, a dot for one, and skips non-finite values', () => {
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [
      { name: 'a', points: [[0, 1], [1, Number.NaN], [2, 3]] }, { name: 'b', points: [[1, 2]] }, { name: 'c', points: [] },
    ] });
    assert.equal(svg.match(/<polyline/g)?.length, 1);
    assert.equal(svg.match(/<circle/g)?.length, 1);
    assert.match(svg, /points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
    assert.match(svg, /c \(no data\)/);
    assert.match(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [[0, Infinity]] }] }), /No data to plot/);
  });

  it('the headline series (the objective) is drawn last and dashed; smooth charts draw a faint raw line under its average; y ticks read the data\'s range', () => {
    const n = 60;
    const loss = Array.from({ length: n }, (_, i) => [i, 9 - (6 * i) / n + (i % 2) * 0.3] as const);
    const ce = loss.map(([x, y]) => [x, y + 0.1] as const);
    const svg = lineChart({ title: 't', xLabel: 'step', yLabel: 'loss', series: [{ name: 'loss (objective)', points: loss }, { name: 'ce', points: ce }], smooth: true });
    const lines = [...svg.matchAll(/<polyline ([^>]*)>/g)].map((m) => m[1]!);
    assert.equal(lines.length, 4, 'a raw and a smoothed line per series');
    // Drawn order: ce raw, ce average, then the objective's raw and its dashed average on top.
    assert.match(lines[3]!, /stroke="#1f77b4"/);
    assert.match(lines[3]!, /stroke-dasharray/);
    assert.match(lines[2]!, /stroke-opacity="0.3"/);
    assert.doesNotMatch(lines[1]!, /stroke-dasharray/);
    // Ticks every 1 (or 0.5) over a 3-to-9.4 range, not only at 5 and 10.
    const yTicks = [...svg.matchAll(/<text x="58" y="[\d.]+" text-anchor="end">([^<]+)<\/text>/g)].map((m) => Number(m[1]));
    assert.ok(yTicks.length >= 6, `y ticks ${yTicks.join(', ')}`);
    assert.deepEqual(smoothed([[0, 1], [1, 2]]), [[0, 1], [1, 2]], 'short series are not smoothed');
  });

  it('one evaluation is a labelled value, not a one-point chart from step-1 to step+1', () => {
    const html = heldOutValues({ ...step(300, 0.9), ce: 2.5, loss: 2.75 } as never);
    assert.doesNotMatch(html, /<svg/);
    assert.match(html, /one evaluation at step 300/);
    assert.match(html, /loss \(objective\)<\/td><td class="num">2\.750<\/td>/);
    // A chart of one x value ticks at that value alone.
    const svg = lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', points: [[300, 2]] }] });
    assert.doesNotMatch(svg, />299</);
    assert.match(svg, />300</);
  });

  it('niceTicks gives round steps covering the range', () => {
    assert.deepEqual(niceTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(3, 47), [10, 20, 30, 40]);
    assert.deepEqual(niceTicks(2, 2), [2]);
    // A range across 0 (a reward's mean − std) has its tick at exactly 0.
    assert.deepEqual(niceTicks(-0.03, 0.02), [-0.03, -0.02, -0.01, 0, 0.01, 0.02]);
  });
});
