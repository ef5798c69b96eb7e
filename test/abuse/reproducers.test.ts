// Each input that once hung, exhausted memory or leaked a file's content (issue 12), kept as a
// regression test: it must end quickly with the clean error. Every case is timed; the memory-heavy
// ones also bound the heap they may grow.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { compileSafeRegex } from '../../src/util/safe-regex.js';
import { compile, compileFile } from '../../src/compile.js';
import { loadDataset, loadDatasetFromText } from '../../src/data/dataset.js';
import { renderDiagnostics } from '../../src/diagnostics/render.js';
import { walk } from '../../src/ir/walk.js';
import { printObjective } from '../../src/ir/print.js';
import { parseConfig } from '../../src/model/config.js';
import { ModelFileError } from '../../src/model/errors.js';
import { renderBounded, TemplateLimitError } from '../../src/tokenizer/bounded-template.js';
import { loadTokenizer } from '../../src/tokenizer/index.js';
import { RunDirectory } from '../../src/train/run-dir.js';
import { DiskWriteError } from '../../src/util/disk-error.js';
import { repoRoot } from '../helpers/golden.js';

/** Runs `f`, asserting it took less than `ms`; returns its result. */
function within<T>(ms: number, f: () => T): T {
  const t0 = performance.now();
  const out = f();
  const took = performance.now() - t0;
  assert.ok(took < ms, `took ${took.toFixed(0)} ms (bound ${ms} ms)`);
  return out;
}

function codes(r: { diagnostics: readonly { code: string }[] }): string[] {
  return r.diagnostics.map((d) => d.code);
}

describe('abuse: imports', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-abuse-'));
    mkdirSync(join(dir, 'a', 'b'), { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const importing = (spec: string, from = join(dir, 'main.sftgo')) => {
    writeFileSync(from, `import "${spec}"\nloss = mean(ce)\n`);
    return within(2000, () => compileFile(from));
  };
  const rendered = (r: ReturnType<typeof compileFile>) => renderDiagnostics(r.diagnostics, (f) => r.sources[f]);

  it('/etc/passwd and ../../etc/passwd are refused without reading them (E0214, no line of the file shown)', () => {
    for (const spec of ['/etc/passwd', `${'../'.repeat(12)}etc/passwd`, `${'../'.repeat(12)}proc/self/environ`]) {
      const r = importing(spec);
      assert.deepEqual(codes(r), ['E0214'], spec);
      assert.doesNotMatch(rendered(r), /root:|PATH=/, spec);
    }
  });

  it('/dev/zero and a FIFO named .sftgo fail at once instead of hanging', () => {
    assert.deepEqual(codes(importing('/dev/zero')), ['E0214']);
    execFileSync('mkfifo', [join(dir, 'pipe.sftgo')]);
    const r = importing('./pipe.sftgo');
    assert.deepEqual(codes(r), ['E0214']);
    assert.match(r.diagnostics[0]!.message, /not a regular file/);
  });

  it('a .sftgo link to another file is refused; a file over 1 MiB too', () => {
    symlinkSync('/etc/passwd', join(dir, 'link.sftgo'));
    const r = importing('./link.sftgo');
    assert.deepEqual(codes(r), ['E0214']);
    assert.doesNotMatch(rendered(r), /root:/);
    writeFileSync(join(dir, 'big.sftgo'), `# ${'x'.repeat(1024 * 1024)}\n`);
    assert.match(importing('./big.sftgo').diagnostics[0]!.message, /too large/);
  });

  it('absolute imports are absolute and relative ones are relative to the importing file', () => {
    writeFileSync(join(dir, 'a', 'base.sftgo'), 'param w = 2\n');
    assert.deepEqual(codes(importing(join(dir, 'a', 'base.sftgo'))), []);
    writeFileSync(join(dir, 'a', 'b', 'inner.sftgo'), 'import "../base.sftgo"\n');
    assert.deepEqual(codes(importing('./a/b/inner.sftgo')), []);
  });
});

describe('abuse: regexes run in linear time', () => {
  it('(a+)+$ over a 40-character token answers at once', () => {
    const compiled = compileSafeRegex('(a+)+$');
    assert.ok('regex' in compiled);
    within(200, () => assert.equal(compiled.regex.test(`${'a'.repeat(40)}b`), false));
  });
  it('backreferences and lookaround are E0506 with one clear message', () => {
    const r = compile('group g = regex("(a)\\\\1")\nloss = max(groups)');
    assert.deepEqual(codes(r), ['E0506']);
    assert.doesNotMatch(r.diagnostics[0]!.message, /Invalid regular expression:.*Invalid regular expression/);
  });
});

describe('abuse: compiler limits (the IR is a DAG; passes are bounded)', () => {
  it('24 doubling lets compile to a handful of nodes and print', () => {
    const lines = ['let a0 = ce', ...Array.from({ length: 24 }, (_, i) => `let a${i + 1} = a${i} + a${i}`), 'loss = mean(a24)'];
    const r = within(3000, () => compile(lines.join('\n')));
    assert.deepEqual(codes(r), []);
    let nodes = 0;
    walk(r.objective!.loss, () => void nodes++);
    assert.ok(nodes < 40, `${nodes} nodes`);
    assert.match(within(1000, () => printObjective(r.objective!)), /where %0 = ce \+ ce/);
  });
  it('20,000 params are E0601, quickly', () => {
    const source = `${Array.from({ length: 20_000 }, (_, i) => `param p${i} = 1`).join('\n')}\nloss = mean(ce)`;
    assert.deepEqual(codes(within(8000, () => compile(source))), ['E0601']);
  });
  it('a flat sum of 5,000 terms is E0602, not a stack overflow (E0901)', () => {
    const r = within(3000, () => compile(`loss = mean(${Array.from({ length: 5000 }, () => 'ce').join(' + ')})`));
    assert.deepEqual(codes(r), ['E0602']);
  });
  it('steps = 1e300 and batch = 1e300 are out of range; 1e999 is not a number', () => {
    assert.deepEqual(codes(compile('loss = mean(ce)\ntrain { steps = 1e300, batch = 1e300 }')), ['E0403', 'E0403']);
    assert.deepEqual(codes(compile('loss = mean(ce)\ntrain { lr = 1e999 }')), ['E0604']);
  });
});

describe('abuse: chat templates are bounded', function () {
  this.timeout(20000);
  it('range(1000000000) and two nested range(1e5) stop with a clear error', () => {
    for (const source of ['{% for i in range(1000000000) %}{% endfor %}', '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}']) {
      assert.throws(() => within(5000, () => renderBounded(new Template(source), {})), (e: unknown) => e instanceof TemplateLimitError && /range\(\)/.test(e.message));
    }
  });
  it('through a tokenizer directory, the record is reported at FILE:LINE', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sftgoc-template-'));
    try {
      cpSync(join(repoRoot, 'assets', 'default', 'tokenizer'), dir, { recursive: true });
      const configFile = join(dir, 'tokenizer_config.json');
      const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
      config.chat_template = '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}';
      writeFileSync(configFile, JSON.stringify(config));
      const tok = loadTokenizer(dir);
      assert.ok(tok.ok);
      const record = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] });
      const loaded = within(5000, () => loadDatasetFromText(`${record}\n`, 'chat.jsonl', { tokenizer: tok.tokenizer }));
      assert.equal(loaded.errors.length, 1);
      assert.equal(loaded.errors[0]!.line, 1);
      assert.match(loaded.errors[0]!.message, /chat template .*range\(\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('abuse: data and model files', function () {
  this.timeout(20000);
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'sftgoc-data-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const tokenizer = () => {
    const t = loadTokenizer(join(repoRoot, 'assets', 'default', 'tokenizer'));
    assert.ok(t.ok);
    return t.tokenizer;
  };
  const good = JSON.stringify({ prompt: 'Q: 1+1?', completion: ' 2' });

  it('a 12 MB record is an error at its line, read in bounded memory', () => {
    const file = join(dir, 'big.jsonl');
    writeFileSync(file, `${good}\n${JSON.stringify({ prompt: 'Q', completion: 'x'.repeat(12_000_000) })}\n${good}\n`);
    const heap = process.memoryUsage().heapUsed;
    const r = within(5000, () => loadDataset(file, { tokenizer: tokenizer() }));
    assert.ok(process.memoryUsage().heapUsed - heap < 64 * 1024 * 1024, 'heap grew by more than 64 MB');
    assert.deepEqual(r.errors.map((e) => [e.line, /max_record_bytes/.test(e.message)]), [[2, true]]);
  });

  it('bytes that are not UTF-8 are an error at FILE:LINE, or skipped and counted', () => {
    const file = join(dir, 'latin1.jsonl');
    writeFileSync(file, Buffer.concat([Buffer.from(`${good}\n`), Buffer.from('{"prompt": "caf\xe9", "completion": " ok"}\n', 'latin1'), Buffer.from(`${good}\n`)]));
    const r = loadDataset(file, { tokenizer: tokenizer() });
    assert.deepEqual(r.errors.map((e) => [e.line, /not valid UTF-8/.test(e.message)]), [[2, true]]);
    const skipped = loadDataset(file, { tokenizer: tokenizer(), skipBadRecords: true });
    assert.deepEqual(skipped.errors, []);
    assert.equal(skipped.stats.skipped, 1);
    assert.equal(skipped.samples.length, 2);
  });

  it('a data file that is a FIFO is refused without blocking', () => {
    execFileSync('mkfifo', [join(dir, 'pipe.jsonl')]);
    const r = within(2000, () => loadDataset(join(dir, 'pipe.jsonl'), { tokenizer: tokenizer() }));
    assert.match(r.errors[0]!.message, /not a regular file/);
  });

  it('"n_layer": 1000000000 in config.json is refused at once, naming the file', () => {
    const config = { model_type: 'gpt2', vocab_size: 2048, n_embd: 128, n_layer: 1_000_000_000, n_head: 4, n_positions: 128 };
    assert.throws(() => within(1000, () => parseConfig(config, 'm/config.json')), (e: unknown) => e instanceof ModelFileError && /m\/config\.json/.test(e.message) && /n_layer/.test(e.message));
    const huge = { ...config, n_layer: 1024, n_embd: 65536, n_head: 64 };
    assert.throws(() => parseConfig(huge, 'm/config.json'), /more than this machine's/);
  });

  it('a full disk is "no space left on DEVICE writing PATH", not an internal error', async () => {
    const run = new RunDirectory(join(dir, 'run'));
    await run.ensure();
    symlinkSync('/dev/full', run.metricsFile);
    const metrics = { step: 1, epoch: 0, lr: 0, params: {}, loss: 1, ce: 1, groups: {}, worst_group: null, tokens_per_s: 1, elapsed_s: 1 };
    await assert.rejects(run.appendMetrics(metrics as never), (e: unknown) => e instanceof DiskWriteError && /^no space left on .* writing .*metrics\.jsonl \(needs ~/.test(e.message));
  });
});
