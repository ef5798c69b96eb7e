#!/usr/bin/env node
// Prop. 1 of the SFT-GO paper compares worst-group losses of the two objectives' minimisers on the
// distribution they are trained on. This script reads a finished experiment (examples/experiment/run.sh)
// and evaluates the final models of SFT and of SFT-GO with grouping G on the first N TRAINING
// records as well as on the held-out set, under G, so the claim can be checked where it is made
// (training data) and where it is usually read (held-out data).
//   node examples/experiment/prop1.mjs [OUT=runs/experiment] [N=200]
// Prints a Markdown table: per grouping, worst-group loss of SFT and SFT-GO, train and held-out,
// mean ± std over seeds, and in how many seeds SFT-GO's worst group is no higher than SFT's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = process.argv[2] ?? 'runs/experiment';
const n = Number(process.argv[3] ?? 200);
const compare = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8'));
const trainFile = compare.data.train;
const tmp = mkdtempSync(join(tmpdir(), 'sftgoc-prop1-'));
const subset = join(tmp, 'train-subset.jsonl');
writeFileSync(subset, readFileSync(trainFile, 'utf8').split('\n').filter((l) => l.trim() !== '').slice(0, n).join('\n') + '\n');

const runsOf = (label) => compare.runs.filter((r) => r.objective === label);
const worst = (groups) => Math.max(...Object.values(groups).filter((g) => g.tokens > 0).map((g) => g.loss));
const evalWorst = (runDir, grouping, data) => {
  const args = ['bin/run.js', 'eval', runDir, '--objective', grouping.file, '--json', '-q'];
  if (data !== undefined) args.push('--data', data);
  const doc = JSON.parse(execFileSync('node', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  return worst(doc.groups);
};
const meanStd = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${m.toFixed(3)} ± ${s.toFixed(3)}`;
};

const lines = ['| grouping G | data | SFT worst group | SFT-GO(G) worst group | seeds with SFT-GO ≤ SFT |', '|---|---|---:|---:|---:|'];
const sft = runsOf('sft');
for (const grouping of compare.groupings) {
  const go = runsOf(grouping.label);
  if (go.length === 0 || sft.length === 0) continue;
  for (const [name, data] of [['train (first ' + n + ')', subset], ['held-out', undefined]]) {
    const a = sft.map((r) => (data === undefined ? worst(r.eval.groupings[grouping.label]) : evalWorst(r.run_dir, grouping, data)));
    const b = go.map((r) => (data === undefined ? worst(r.eval.groupings[grouping.label]) : evalWorst(r.run_dir, grouping, data)));
    // Seeds pair up: run i of each objective used the same seed and the same data order.
    const wins = a.filter((x, i) => b[i] <= x).length;
    lines.push(`| ${grouping.label} | ${name} | ${meanStd(a)} | ${meanStd(b)} | ${wins}/${a.length} |`);
    process.stderr.write(`${grouping.label} ${name}: done\n`);
  }
}
rmSync(tmp, { recursive: true, force: true });
console.log(lines.join('\n'));
