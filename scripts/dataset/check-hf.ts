// Checks that Hugging Face `tokenizers` and `transformers` read the bundled tokenizer exactly as we
// do: same ids, same offsets, same decoding, same chat rendering, on every bundled text and a few
// non-ASCII ones. Manual (CI has no Python): with a Python that has `tokenizers transformers jinja2`,
//   npx tsx scripts/dataset/check-hf.ts [python3]
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../../src/tokenizer/hf-tokenizer.js';

const root = join(import.meta.dirname, '..', '..');
const dir = join(root, 'assets', 'default', 'tokenizer');
const python = process.argv[2] ?? 'python3';

const texts: string[] = ['Velmora ☃ lies 12 km north.\n\nWörds, émoji 😀 and <|im_end|> too.', '  leading and trailing  ', ''];
for (const name of ['train.jsonl', 'eval.jsonl', 'responses.jsonl']) {
  for (const line of readFileSync(join(root, 'assets', 'default', 'data', name), 'utf8').trim().split('\n')) {
    const r = JSON.parse(line) as { prompt: string; completion?: string; responses?: Array<{ completion: string }> };
    if (r.completion !== undefined) texts.push(r.prompt + r.completion);
    for (const x of r.responses ?? []) texts.push(r.prompt + x.completion);
  }
}
texts.push(...readFileSync(join(root, 'assets', 'default', 'corpus.txt'), 'utf8').split('\n\n').slice(0, 300));

type Enc = { ids: number[]; offsets: Array<[number, number]>; decoded: string };
const hf = JSON.parse(execFileSync(python, [join(import.meta.dirname, 'hf-encode.py'), dir], { input: JSON.stringify(texts), maxBuffer: 1 << 30 }).toString()) as {
  tokenizers: Enc[]; transformers: Enc[]; chat: string; special: { eos: number; pad: number; unk: number; vocab: number };
};

const loaded = loadTokenizer(dir);
if (!loaded.ok) throw new Error(loaded.errors.map((e) => e.message).join('; '));
const ours = loaded.tokenizer;

/** Python offsets count code points; ours count UTF-16 units. */
function toUtf16(text: string, cp: number): number {
  return [...text].slice(0, cp).join('').length;
}

let mismatches = 0;
const report = (msg: string) => {
  if (mismatches++ < 10) console.error(msg);
};
texts.forEach((text, i) => {
  const mine = ours.encode(text);
  for (const [lib, enc] of [['tokenizers', hf.tokenizers[i]!], ['transformers', hf.transformers[i]!]] as const) {
    if (JSON.stringify(enc.ids) !== JSON.stringify(mine.ids)) report(`${lib}: ids differ for text ${i}: ${JSON.stringify(text.slice(0, 60))}`);
    const theirs = enc.offsets.map(([s, e]) => [toUtf16(text, s), toUtf16(text, e)]);
    if (JSON.stringify(theirs) !== JSON.stringify(mine.offsets)) report(`${lib}: offsets differ for text ${i}:\n  ${JSON.stringify(theirs)}\n  ${JSON.stringify(mine.offsets)}`);
    if (enc.decoded !== ours.decode(mine.ids)) report(`${lib}: decoding differs for text ${i}`);
  }
});
const chat = ours.applyChatTemplate([{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello!' }]);
if (chat !== hf.chat) report(`chat template differs: ${JSON.stringify(hf.chat)} vs ${JSON.stringify(chat)}`);
const special = { eos: ours.eosId, pad: ours.padId, unk: ours.unkId, vocab: ours.vocabSize };
if (JSON.stringify(special) !== JSON.stringify(hf.special)) report(`special ids differ: ${JSON.stringify(hf.special)} vs ${JSON.stringify(special)}`);
console.log(`${texts.length} texts compared with tokenizers and transformers: ${mismatches} mismatches`);
process.exitCode = mismatches === 0 ? 0 : 1;
