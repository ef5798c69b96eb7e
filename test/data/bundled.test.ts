import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDataset } from '../../src/data/dataset.js';
import type { Sample } from '../../src/data/types.js';
import { repoRoot } from '../helpers/golden.js';
import { bundledTokenizer } from '../tokenizer/helpers.js';

const dataFile = (name: string) => join(repoRoot, 'assets', 'default', 'data', name);

/** Share of loss tokens (eos excluded) that overlap a marked fact span. */
function factShare(samples: readonly Sample[]): number {
  let facts = 0;
  let loss = 0;
  for (const s of samples) {
    s.lossMask.forEach((m, i) => {
      const [a, b] = s.offsets[i]!;
      if (!m || a === b) return;
      loss++;
      if (s.spanScores.fact!.some((f) => a < f.end && b > f.start)) facts++;
    });
  }
  return facts / loss;
}

describe('the bundled dataset (assets/default/data)', () => {
  const tokenizer = bundledTokenizer();

  it('eval.jsonl loads cleanly as prompt-completion, and facts are a minority of response tokens', () => {
    const d = loadDataset(dataFile('eval.jsonl'), { tokenizer, maxLen: 512 });
    assert.deepEqual(d.errors, []);
    assert.equal(d.format, 'prompt-completion');
    assert.equal(d.stats.samples, 200);
    assert.equal(d.stats.truncated, 0);
    const share = factShare(d.samples);
    assert.ok(share > 0.05 && share < 0.35, `fact share ${share.toFixed(3)}`);
  });

  it('asks evaluation questions that training never asks', () => {
    const prompts = (name: string) => readFileSync(dataFile(name), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { prompt: string }).prompt);
    const train = new Set(prompts('train.jsonl'));
    assert.equal(train.size > 1000, true);
    assert.deepEqual(prompts('eval.jsonl').filter((p) => train.has(p)), []);
  });

  it('fact spans cover names and values, not filler', () => {
    const d = loadDataset(dataFile('eval.jsonl'), { tokenizer });
    for (const s of d.samples.slice(0, 50)) {
      for (const f of s.spanScores.fact!) {
        const fact = s.text.slice(f.start, f.end);
        assert.match(fact, /^[A-Za-z0-9][A-Za-z0-9 ]*[A-Za-z0-9]$|^[A-Za-z0-9]$/, `fact "${fact}"`);
        assert.ok(!/^(Certainly|Sure|the|is|I)$/.test(fact));
      }
    }
  });

  it('responses.jsonl: four graded answers a prompt, the right one rewarded 1', () => {
    const d = loadDataset(dataFile('responses.jsonl'), { tokenizer, maxLen: 512 });
    assert.deepEqual(d.errors, []);
    assert.equal(d.format, 'responses');
    assert.equal(d.stats.samples, 4 * d.stats.records);
    for (let i = 0; i < d.samples.length; i += 4) {
      const group = d.samples.slice(i, i + 4);
      assert.ok(group.some((s) => s.reward === 1) && group.some((s) => s.reward < 1));
      assert.ok(Math.abs(group.reduce((a, s) => a + s.advantage, 0)) < 1e-6, 'advantages centre on 0');
    }
  });
});
