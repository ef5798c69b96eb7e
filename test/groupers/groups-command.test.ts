// `sftgoc groups` in-process on a tiny data file: jsonl shape (one object per token, groups on loss
// tokens only, the top-30% count per sample), html well-formedness and self-containedness, the text
// view, the error for dynamic groups without a model, and ce with a (preset) model.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferOutput } from '../../src/cli/output.js';
import { runGroups, type GroupsOptions } from '../../src/app/groups.js';

const RECORDS = [
  { prompt: 'Question: Where is Velmora?\nAnswer:', completion: ' Velmora lies north of the river, near the old town.', scores: { fact: [{ start: 1, end: 8, score: 1 }] } },
  { prompt: 'Question: When was the Kopel released?\nAnswer:', completion: ' The Kopel came out in 1907, I believe.' },
  { prompt: 'Question: Who <b>made</b> it?\nAnswer:', completion: ' A clockmaker & his "daughter" made it.' },
];

const base: GroupsOptions = { params: [], settings: [], limit: 5, format: 'jsonl', skipBadRecords: false, quiet: true, colour: false };

/** Tag balance of our own output (void tags known); no attribute may reach the network. */
function checkHtml(html: string): void {
  assert.ok(html.startsWith('<!DOCTYPE html>'));
  const stack: string[] = [];
  const voids = new Set(['meta', 'br', 'hr', 'img', 'link', 'input']);
  const tags = /<\/?([a-zA-Z0-9]+)([^>]*)>/g;
  for (let m = tags.exec(html); m !== null; m = tags.exec(html)) {
    const name = m[1]!.toLowerCase();
    if (m[0].startsWith('</')) assert.equal(stack.pop(), name, `closing </${name}> at ${m.index}`);
    else if (!voids.has(name)) stack.push(name);
  }
  assert.deepEqual(stack, [], 'every tag closed');
  // Text never carries a raw '<' or '>' outside tags (it was escaped).
  const textOnly = html.replace(/<!DOCTYPE html>/, '').replace(/<\/?[a-zA-Z0-9]+[^>]*>/g, '');
  assert.ok(!/[<>]/.test(textOnly), 'stray < or > in text');
  assert.ok(!/(src|href)\s*=|@import|url\(|<script|<link/i.test(html), 'no external resources or scripts');
}

describe('groupers: sftgoc groups', () => {
  let dir: string;
  let data: string;
  const write = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sftgoc-groups-'));
    data = write('tiny.jsonl', RECORDS.map((r) => JSON.stringify(r)).join('\n') + '\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('jsonl: one object per token of the shown samples, with group and scores on loss tokens', async () => {
    const file = write('a.sftgo', 'group important = tfidf(top 30%)\ngroup facts = column("fact") > 0.5\nloss = λ·max(groups) + (1-λ)·ce\n');
    const out = new BufferOutput();
    assert.equal(await runGroups(file, { ...base, data, limit: 2 }, out), 0, out.stderrText);
    const rows = out.stdoutText.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(new Set(rows.map((r) => r.sample)), new Set([0, 1]));
    for (const r of rows) {
      assert.deepEqual(Object.keys(r).sort(), ['group', 'loss', 'position', 'sample', 'scores', 'token', 'token_id']);
      assert.equal(typeof r.token, 'string');
      assert.ok(Number.isInteger(r.token_id));
      if (r.loss) {
        assert.ok(['important', 'facts', 'rest'].includes(r.group as string));
        assert.deepEqual(Object.keys(r.scores as object).sort(), ['column(field = "fact")', 'tfidf(smooth = true, sublinear = false)']);
      } else {
        assert.equal(r.group, null);
        assert.deepEqual(r.scores, {});
      }
    }
    for (const sample of [0, 1]) {
      const mine = rows.filter((r) => r.sample === sample);
      assert.deepEqual(mine.map((r) => r.position), mine.map((_, i) => i), 'every position, in order');
      const loss = mine.filter((r) => r.loss);
      assert.equal(loss.filter((r) => r.group === 'important').length, Math.ceil(0.3 * loss.length - 1e-9));
    }
    // Only sample 0 has a `fact` span (over " Velmora"): its tokens there score 1, all others 0.
    const facts = rows.filter((r) => r.group === 'facts' || (r.scores as Record<string, number>)['column(field = "fact")'] === 1);
    assert.ok(facts.length > 0 && facts.every((r) => r.sample === 0));
  });

  it('html: a well-formed, self-contained page with every token escaped', async () => {
    const file = write('b.sftgo', 'group important = tfidf(top 30%)\nloss = max(groups)\n');
    const out = new BufferOutput();
    assert.equal(await runGroups(file, { ...base, data, format: 'html' }, out), 0, out.stderrText);
    const html = out.stdoutText;
    checkHtml(html);
    const textOnly = html.replace(/<\/?[a-zA-Z0-9]+[^>]*>/g, '');
    assert.ok(textOnly.includes('&lt;b&gt;made&lt;/b&gt;'), 'the prompt’s <b> is text, not markup');
    assert.ok(textOnly.includes('&amp; his &quot;daughter&quot;'));
    assert.equal((html.match(/class="sample"/g) ?? []).length, 3);
    assert.ok(html.includes('class="g0"') && html.includes('class="g1"'));
  });

  it('text: a legend, one heading per sample with group counts, and a row per loss token', async () => {
    const file = write('c.sftgo', 'group important = tfidf(top 30%)\nloss = max(groups)\n');
    const out = new BufferOutput();
    assert.equal(await runGroups(file, { ...base, data, format: 'text', limit: 1 }, out), 0);
    const text = out.stdoutText;
    assert.match(text, /⟦…⟧₁ important, rest unmarked/);
    assert.match(text, /sample 0 \(.*tiny\.jsonl:1\): important \d+, rest \d+/);
    assert.match(text, /⟦ Velmora⟧₁|⟦[^⟧]+⟧₁/);
    assert.match(text, /pos {2}token/);
    assert.ok(!text.includes('\x1b['), 'no escape codes off a terminal');
    const coloured = new BufferOutput();
    assert.equal(await runGroups(file, { ...base, data, format: 'text', limit: 1, colour: true }, coloured), 0);
    assert.match(coloured.stdoutText, /\x1b\[1;31m[^\x1b]+\x1b\[0m/, 'the first group in red');
    assert.ok(!coloured.stdoutText.includes('⟦'), 'colours replace the brackets');
  });

  it('dynamic groups without a model block: the model sftgoc run would train (the bundled one), said on stderr', async () => {
    const file = write('d.sftgo', 'group hard = loss(top 50%)\nloss = max(groups)\ntrain { backend = "cpu" }\n');
    const out = new BufferOutput();
    assert.equal(await runGroups(file, { ...base, data, limit: 1, quiet: false }, out), 0, out.stderrText);
    assert.match(out.stderrText, /model: .*assets\/default\/model, the model sftgoc run would use/);
  });

  it('with a model: ce on every loss token, and loss() groups take the highest-ce tokens', async () => {
    const file = write('e.sftgo', 'model { preset = "tiny" }\ngroup hard = loss(top 50%)\nloss = max(groups)\ntrain { backend = "cpu" }\n');
    const out = new BufferOutput();
    assert.equal(await runGroups(file, { ...base, data, limit: 2 }, out), 0, out.stderrText);
    const rows = out.stdoutText.trim().split('\n').map((l) => JSON.parse(l) as { sample: number; loss: boolean; ce?: number; group: string; scores: Record<string, number> });
    for (const r of rows) assert.equal(r.ce !== undefined, r.loss);
    for (const sample of [0, 1]) {
      const loss = rows.filter((r) => r.sample === sample && r.loss);
      assert.ok(loss.every((r) => r.ce! > 0 && r.scores['loss()'] === r.ce));
      const hard = loss.filter((r) => r.group === 'hard').map((r) => r.ce!);
      const rest = loss.filter((r) => r.group === 'rest').map((r) => r.ce!);
      assert.equal(hard.length, Math.ceil(loss.length / 2));
      assert.ok(Math.min(...hard) >= Math.max(...rest));
    }
  });

  it('--out writes the file instead of stdout', async () => {
    const file = write('f.sftgo', 'group important = tfidf(top 30%)\nloss = max(groups)\n');
    const target = join(dir, 'view.html');
    const out = new BufferOutput();
    assert.equal(await runGroups(file, { ...base, data, format: 'html', out: target }, out), 0);
    assert.equal(out.stdoutText, '');
    checkHtml(readFileSync(target, 'utf8'));
  });
});
