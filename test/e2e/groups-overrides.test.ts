// `sftgoc groups` takes --param and --set through compile(), as `sftgoc run` does: a --param value
// is an expression checked like source, and a bad --set key is the compiler's E0401 diagnostic
// with did-you-mean (not a second, hand-written check in the settings resolver).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferOutput } from '../../src/cli/output.js';
import { runGroups, type GroupsOptions } from '../../src/app/groups.js';

const RECORDS = [
  { prompt: 'Question: Where is Velmora?\nAnswer:', completion: ' Velmora lies north of the river, near the old town of Kopel.' },
  { prompt: 'Question: When was the Kopel released?\nAnswer:', completion: ' The Kopel came out in 1907, I believe.' },
];
const base: GroupsOptions = { params: [], settings: [], limit: 2, format: 'jsonl', skipBadRecords: false, quiet: true, colour: false };

describe('sftgoc groups: --param and --set through the compiler', () => {
  let dir: string;
  let data: string;
  let file: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-groups-ovr-'));
    data = join(dir, 'tiny.jsonl');
    writeFileSync(data, RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n');
    file = join(dir, 'a.sftgo');
    writeFileSync(file, 'param η = 30%\ngroup important = tfidf(top η)\nloss = λ·max(groups) + (1-λ)·ce\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const importantPerSample = (jsonl: string) => {
    const rows = jsonl.trim().split('\n').map((l) => JSON.parse(l) as { sample: number; group: string | null });
    return [0, 1].map((s) => rows.filter((r) => r.sample === s && r.group === 'important').length);
  };

  it('a --param value is an expression (η = 10% + 40%), and it changes the groups', async () => {
    const plain = new BufferOutput();
    assert.equal(await runGroups(file, { ...base, data }, plain), 0, plain.stderrText);
    const out = new BufferOutput();
    const code = await runGroups(file, { ...base, data, params: [{ name: 'η', text: '10% + 40%', flag: 'η=10% + 40%' }] }, out);
    assert.equal(code, 0, out.stderrText);
    const before = importantPerSample(plain.stdoutText);
    const after = importantPerSample(out.stdoutText);
    for (let s = 0; s < 2; s++) assert.ok(after[s]! > before[s]!, `sample ${s}: ${before[s]} → ${after[s]} important tokens`);
  });

  it('a misspelt --set key is error[E0401] with did-you-mean; exit 1', async () => {
    const out = new BufferOutput();
    const code = await runGroups(file, { ...base, data, settings: [{ block: 'data', key: 'max_lne', text: '64', flag: 'data.max_lne=64' }] }, out);
    assert.equal(code, 1);
    assert.match(out.stderrText, /error\[E0401\]/);
    assert.match(out.stderrText, /max_len/);
  });

  it('a --set value of the wrong type is error[E0403]; exit 1', async () => {
    const out = new BufferOutput();
    const code = await runGroups(file, { ...base, data, settings: [{ block: 'train', key: 'batch', text: '0', flag: 'train.batch=0' }] }, out);
    assert.equal(code, 1);
    assert.match(out.stderrText, /error\[E0403\]/);
  });
});
