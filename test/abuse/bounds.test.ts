// Issue 18, items 6–8: memory bounds, training on nothing, and the smaller reproducers. Each case
// ends with the clean outcome (exit code, a message naming the input) within a time bound, and the
// user's files are compared byte for byte where a command could have touched them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, compileFile } from '../../src/compile.js';
import { loadDataset, loadDatasetFromText } from '../../src/data/dataset.js';
import { renderDiagnostics, renderDiagnostic, wantsColour } from '../../src/diagnostics/render.js';
import { error } from '../../src/diagnostics/diagnostic.js';
import { parseConfig } from '../../src/model/config.js';
import { nothingToTrain } from '../../src/run/inputs.js';
import { estimateStepMemory, memoryLimit, stepMemoryProblem } from '../../src/train/memory.js';
import { bundledTokenizer } from '../tokenizer/helpers.js';
import { repoRoot } from '../helpers/golden.js';

const bin = join(repoRoot, 'bin', 'run.js');

/** The CLI in a child process, with a wall-clock bound; NO_COLOR so the text is plain. */
function sftgoc(args: string[], options: { cwd?: string; timeoutMs?: number } = {}): { status: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: options.cwd ?? repoRoot, encoding: 'utf8', timeout: options.timeoutMs ?? 30_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

const defaultModel = () => parseConfig(JSON.parse(readFileSync(join(repoRoot, 'assets/default/model/config.json'), 'utf8')) as Record<string, unknown>, 'config.json');

describe('abuse: memory bounds (issue 18)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-bounds-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('train.batch=1024 is refused before the first step with the estimate, exit 1, no run directory left', () => {
    const out = join(dir, 'run-1024');
    const r = sftgoc(['run', 'stdlib/sft.sftgo', '--set', 'train.batch=1024', '--set', `train.out=${out}`]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /stdlib\/sft\.sftgo: train\.batch = 1024 .* needs an estimated \d+\.\d GiB per step/);
    assert.match(r.stderr, /set train\.batch = \d+ or less/);
    assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
    assert.ok(!existsSync(out), 'a refused run leaves no directory');
  });

  it('the estimate grows with batch and sequence, and the calibrated batches fall on the right sides of the wasm limit', () => {
    const model = defaultModel();
    const wasm = memoryLimit('tfjs', 'wasm-blas');
    assert.equal(wasm.bytes, 2 ** 31);
    const at = (batch: number, seqLen = 96) => estimateStepMemory(model, { batch, seqLen, headChunk: 8192 }).total;
    assert.ok(at(512) > at(256) && at(256, 128) > at(256, 64));
    // Measured with the bundled model and data: batch 384 trains, 512 fails past the 2 GiB heap.
    assert.equal(stepMemoryProblem(model, { batch: 384, seqLen: 96, headChunk: 8192 }, wasm), undefined);
    assert.match(stepMemoryProblem(model, { batch: 512, seqLen: 96, headChunk: 8192 }, wasm) ?? '', /2 GiB heap/);
    // torch (and the native backends) are bounded by the host's memory, not the wasm heap.
    assert.match(memoryLimit('torch', undefined).what, /machine's memory/);
    assert.match(stepMemoryProblem(model, { batch: 65536, seqLen: 128, headChunk: 8192 }, memoryLimit('torch', undefined)) ?? '', /machine's memory/);
  });

  it('a 1M-token prompt is tokenised in a bounded window: dropped and counted, in bounded time and memory', () => {
    const file = join(dir, 'long-prompt.jsonl');
    const words = Array.from({ length: 1_000_000 }, (_, i) => ['the', 'cat', 'sat', 'on'][i % 4]).join(' ');
    writeFileSync(file, `${JSON.stringify({ prompt: `${words}\nAnswer:`, completion: ' yes' })}\n${JSON.stringify({ prompt: 'Q:', completion: ' fine' })}\n`);
    const before = readFileSync(file);
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const d = loadDataset(file, { tokenizer: bundledTokenizer(), maxLen: 128 });
    assert.ok(performance.now() - t0 < 5000, 'bounded time');
    assert.ok(process.memoryUsage().rss - rss0 < 400 * 2 ** 20, 'bounded memory');
    assert.deepEqual(d.errors, []);
    assert.equal(d.stats.truncated, 1);
    assert.equal(d.stats.dropped, 1);
    assert.equal(d.samples.length, 1);
    assert.ok(d.samples[0]!.lossMask.some((m) => m));
    assert.deepEqual(readFileSync(file), before);
  });

  it('an 8 MB record (under the 8 MiB limit) costs a window, not gigabytes: groups ends quickly', () => {
    const file = join(dir, 'big.jsonl');
    writeFileSync(file, `${JSON.stringify({ text: 'x'.repeat(8 * 1024 * 1024 - 100) })}\n`);
    const t0 = performance.now();
    const d = loadDataset(file, { tokenizer: bundledTokenizer(), maxLen: 128 });
    assert.ok(performance.now() - t0 < 5000);
    assert.equal(d.samples[0]!.ids.length, 128);
    assert.ok(d.samples[0]!.text.length < 1024 * 1024, 'the sample keeps the window, not the record');
    const r = sftgoc(['groups', 'stdlib/sft.sftgo', '--data', file, '--limit', '1']);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.ms < 20_000, `took ${r.ms} ms`);
  });

  it('the first max_len tokens of a window are those of the whole text', () => {
    const tokenizer = bundledTokenizer();
    const text = `${JSON.stringify({ prompt: 'Question: what? '.repeat(2000), completion: ' an answer' })}\n`;
    const cut = loadDatasetFromText(text, 'x.jsonl', { tokenizer, maxLen: 16, lossOn: 'all' }).samples[0]!;
    const whole = tokenizer.encode(JSON.parse(text).prompt + ' an answer').ids.slice(0, 16);
    assert.deepEqual(cut.ids, whole);
  });
});

describe('abuse: training on nothing (issue 18)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-nothing-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('records without a response are an error naming the file (exit 1), not a run at loss 0', () => {
    const file = join(dir, 'no-response.jsonl');
    writeFileSync(file, Array.from({ length: 10 }, (_, i) => JSON.stringify({ messages: [{ role: 'user', content: `hello ${i}` }] })).join('\n') + '\n');
    const before = readFileSync(file);
    const out = join(dir, 'run');
    const r = sftgoc(['run', 'stdlib/sft.sftgo', '--set', `data.train=${file}`, '--set', `train.out=${out}`, '--set', 'train.steps=1']);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: nothing to train on`));
    assert.deepEqual(readFileSync(file), before);
    assert.ok(!existsSync(join(out, 'final')));
  });

  it('all samples dropped by max_len says so with a hint', () => {
    const stats = { records: 3, skipped: 0, samples: 0, truncated: 3, dropped: 3, tokens: 0, lossTokens: 0 };
    assert.match(nothingToTrain('d.jsonl', stats, 64)[0]!, /^d\.jsonl: .*all 3 .*data\.max_len = 64.*raise data\.max_len/);
    assert.deepEqual(nothingToTrain('d.jsonl', { ...stats, samples: 2, dropped: 1, lossTokens: 5 }, 64), []);
  });

  it('cut and dropped counts are printed at the start of a run', () => {
    const file = join(dir, 'mixed.jsonl');
    const long = 'word '.repeat(400);
    writeFileSync(file, [JSON.stringify({ prompt: long, completion: ' lost' }), JSON.stringify({ prompt: 'Q:', completion: ' kept' })].join('\n') + '\n');
    const r = sftgoc(['run', 'stdlib/sft.sftgo', '--set', `data.train=${file}`, '--set', `train.out=${join(dir, 'run2')}`, '--set', 'train.steps=1', '--set', 'train.eval_every=0']);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /data: 1 sample cut at data\.max_len = 128, 1 of them dropped .*raise data\.max_len/);
  });
});

describe('abuse: the smaller items (issue 18)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-small-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--param λ=2 warns (W0215) and still compiles; λ=0.5 does not', () => {
    const file = join(repoRoot, 'stdlib', 'sftgo.sftgo');
    const warn = compileFile(file, { overrides: [{ kind: 'param', name: 'λ', value: '2' }] });
    assert.ok(warn.objective !== undefined);
    assert.deepEqual(warn.diagnostics.map((d) => d.code), ['W0215']);
    assert.deepEqual(compileFile(file, { overrides: [{ kind: 'param', name: 'lambda', value: '-0.5' }] }).diagnostics.map((d) => d.code), ['W0215']);
    assert.deepEqual(compileFile(file, { overrides: [{ kind: 'param', name: 'λ', value: '0.5' }] }).diagnostics, []);
  });

  it('fmt on a symbolic link formats the target and keeps the link', () => {
    const target = join(dir, 'target.sftgo');
    const link = join(dir, 'link.sftgo');
    writeFileSync(target, 'loss   =  mean(ce)\n');
    symlinkSync(target, link);
    const r = sftgoc(['fmt', link]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
    assert.equal(readFileSync(target, 'utf8'), 'loss = mean(ce)\n');
  });

  it('control bytes of a source are escaped in diagnostics, never written raw', () => {
    const source = 'loss = mean(ce) \x1b[2J\x00 \u202e@\n';
    const r = compile(source, { file: 'ctl.sftgo' });
    const text = renderDiagnostics(r.diagnostics, () => source);
    assert.ok(r.diagnostics.length > 0);
    assert.doesNotMatch(text, /[\x00-\x08\x0b-\x1f\x7f\u202e]/);
    assert.match(text, /\\x1b\[2J\\x00/);
    // The carets stay under the escaped character.
    const lines = renderDiagnostic(r.diagnostics[0]!, () => source).split('\n');
    assert.equal(lines[3]!.indexOf('^'), lines[2]!.indexOf('\\x1b'));
  });

  it('colour only on terminals, as NO_COLOR and FORCE_COLOR say; plain by default', () => {
    const tty = { isTTY: true };
    assert.equal(wantsColour([tty, tty], {}), true);
    assert.equal(wantsColour([tty, {}], {}), false);
    assert.equal(wantsColour([tty, tty], { NO_COLOR: '1' }), false);
    assert.equal(wantsColour([{}, {}], { FORCE_COLOR: '1' }), true);
    assert.equal(wantsColour([tty, tty], { FORCE_COLOR: '0' }), false);
    const d = error('E0201', 'unknown name', { file: 'a.sftgo', start: { line: 1, col: 1, offset: 0 }, end: { line: 1, col: 2, offset: 1 } });
    assert.match(renderDiagnostic(d, () => 'x\n', true), /\x1b\[1;31merror\[E0201\]/);
    assert.doesNotMatch(renderDiagnostic(d, () => 'x\n'), /\x1b/);
    const r = sftgoc(['check', join(dir, 'missing.sftgo')], {});
    assert.doesNotMatch(r.stdout + r.stderr, /\x1b/);
  });

  it('a 300-deep import chain reports E0605 alone, not a bogus E0210 first', () => {
    const chain = join(dir, 'chain');
    mkdirSync(chain);
    for (let i = 0; i < 300; i++) writeFileSync(join(chain, `f${i}.sftgo`), `import "./f${i + 1}.sftgo"\n`);
    writeFileSync(join(chain, 'f300.sftgo'), 'loss = mean(ce)\n');
    const t0 = performance.now();
    const r = compileFile(join(chain, 'f0.sftgo'));
    assert.ok(performance.now() - t0 < 5000);
    assert.deepEqual(r.diagnostics.map((d) => d.code), ['E0605']);
  });

  it('a missing FILE is a short usage error (exit 2), not the whole help', () => {
    const r = sftgoc(['run']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /missing FILE/);
    assert.match(r.stderr, /sftgoc run FILE/);
    assert.ok(r.stderr.trim().split('\n').length <= 3, r.stderr);
  });

  it('a mistyped command gets the nearest command (exit 2)', () => {
    const r = sftgoc(['rnu']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /did you mean `sftgoc run`/);
  });

  it('groups accepts --json: one JSON document', () => {
    const r = sftgoc(['groups', 'stdlib/sftgo.sftgo', '--json', '--limit', '1']);
    assert.equal(r.status, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { ok: boolean; samples: number; tokens: unknown[] };
    assert.equal(doc.ok, true);
    assert.equal(doc.samples, 1);
    assert.ok(doc.tokens.length > 0);
  });

  it('run --help lists exit 143; eval --help and docs/cli.md agree on --max-len', () => {
    assert.match(sftgoc(['run', '--help']).stdout.replace(/\s+/g, ' '), /143 terminated/);
    const evalHelp = sftgoc(['eval', '--help']).stdout.replace(/\s+/g, ' ');
    const doc = readFileSync(join(repoRoot, 'docs', 'cli.md'), 'utf8').replace(/\s+/g, ' ');
    for (const text of [evalHelp, doc]) assert.match(text, /data\.max_len`?; with `?--model( DIR`)?, the model's positions; else 512/);
  });
});
