// The bundled high-quality split (assets/default/data/hq.jsonl, `prompt_completion` with
// `scores.fact`): the training questions answered plainly. Each train.jsonl record is rewritten
// to the sentences of its completion that state a fact (one or more marked fact spans), without
// the lead phrase before the first one ("As far as I can tell, …", qa.ts LEADS); openers, closers
// and "There is more to say." hold no fact span and are dropped. Repeated (prompt, completion)
// pairs are kept once. The Rho-1 reference (stdlib/rho1-reference.sftgo) is trained on it, so the
// reference's ce is low on facts stated plainly and high on filler it never saw.
//
// Deterministic (no randomness: a pure function of train.jsonl). Regenerate from the repository
// root with either of
//   npx tsx scripts/dataset/hq.ts
//   node dist/scripts/dataset/hq.js          (after npx tsc -p tsconfig.json)
// make-dataset.ts runs it after writing train.jsonl.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../src/util/package-root.js';
import { jsonl, LEADS } from './qa.js';
import type { QaRecord } from './questions.js';

export interface HqRecord {
  prompt: string;
  completion: string;
  scores: { fact: Array<{ start: number; end: number; score: number }> };
}

export const hqFile = (root = packageRoot) => join(root, 'assets', 'default', 'data', 'hq.jsonl');

/** A completion's sentences (ending at ". ", "! ", "? " or the end), with their start offsets. */
function sentences(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  const re = /[.!?](?=\s|$)/g;
  let start = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const end = m.index + 1;
    while (start < end && /\s/.test(text[start]!)) start++;
    if (start < end) out.push({ start, end });
    start = end;
  }
  return out;
}

/** The record's completion reduced to its fact-stating sentences; undefined when it states none. */
export function plainAnswer(record: QaRecord): HqRecord | undefined {
  const facts = record.scores?.fact ?? [];
  let text = '';
  const spans: HqRecord['scores']['fact'] = [];
  for (const s of sentences(record.completion)) {
    const inside = facts.filter((f) => f.start >= s.start && f.end <= s.end);
    if (inside.length === 0) continue;
    let from = s.start;
    const lead = LEADS.find((l) => l !== '' && record.completion.startsWith(`${l} `, s.start));
    if (lead !== undefined) from += lead.length + 1;
    let sentence = record.completion.slice(from, s.end);
    // A lead lower-cased the sentence's first letter (unless it begins with a fact, a name).
    sentence = sentence[0]!.toUpperCase() + sentence.slice(1);
    const shift = 1 + text.length - from; // the completion starts with a space after `Answer:`
    for (const f of inside) spans.push({ start: f.start + shift, end: f.end + shift, score: 1 });
    text += ` ${sentence}`;
  }
  if (text === '') return undefined;
  return { prompt: record.prompt, completion: text, scores: { fact: spans } };
}

/** The split from train.jsonl under `root`, in train.jsonl's order, each (prompt, completion) once. */
export function bundledHq(root = packageRoot): HqRecord[] {
  const train = readFileSync(join(root, 'assets', 'default', 'data', 'train.jsonl'), 'utf8')
    .split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as QaRecord);
  const seen = new Set<string>();
  const out: HqRecord[] = [];
  for (const r of train) {
    const plain = plainAnswer(r);
    if (plain === undefined) continue;
    const key = `${plain.prompt}\u0000${plain.completion}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(plain);
  }
  return out;
}

function main(): void {
  const records = bundledHq();
  writeFileSync(hqFile(), jsonl(records));
  console.log(`${hqFile()}: ${records.length} records`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
