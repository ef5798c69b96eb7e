// Generates the bundled default under assets/default/: the invented world, a pretraining corpus, an
// instruction dataset (train/eval), graded responses for GFT, a byte-level BPE tokenizer trained
// on all of it, and the held-out questions for generation (dataset/questions.ts). Deterministic: the
// same seed writes the same bytes. Run: npx tsx scripts/make-dataset.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32, shuffled, type Rng } from '../src/util/prng.js';
import { trainBpe } from './dataset/bpe.js';
import { answer, factScores, jsonl, pickQuestion, promptText } from './dataset/qa.js';
import { corpus } from './dataset/prose.js';
import { SPECIAL_TOKENS, specialTokensMap, tokenizerConfig, tokenizerJson } from './dataset/tokenizer-files.js';
import { bundledQuestions, questionsFile } from './dataset/questions.js';
import { bundledHq, hqFile } from './dataset/hq.js';
import { allEntities, makeWorld, type World } from './dataset/world.js';

const SEED = 20250618;
const SIZES = { train: 2000, eval: 200, responsePrompts: 250, corpusPasses: 2, vocab: 2048, maxLength: 512 };
const OUT = join(import.meta.dirname, '..', 'assets', 'default');

/** `exclude`: prompts not to ask (the training prompts, so that evaluation questions are new). */
function instructionRecords(world: World, rng: Rng, n: number, exclude: ReadonlySet<string> = new Set()): Array<{ prompt: string; completion: string; scores: object }> {
  const entities = allEntities(world);
  const out: Array<{ prompt: string; completion: string; scores: object }> = [];
  while (out.length < n) {
    const q = pickQuestion(entities, rng);
    if (exclude.has(promptText(q))) continue;
    const a = answer(q, rng);
    out.push({ prompt: promptText(q), completion: ' ' + a.text, scores: { fact: factScores(a).map((s) => ({ ...s, start: s.start + 1, end: s.end + 1 })) } });
  }
  return out;
}

/**
 * Four answers per prompt: the right one (reward 1) and three with some facts replaced by wrong
 * values; reward = the fraction of facts that are right.
 */
function responseRecords(world: World, rng: Rng, n: number): object[] {
  const entities = allEntities(world);
  return Array.from({ length: n }, () => {
    const q = pickQuestion(entities, rng);
    const k = q.attributes.length;
    const variants: boolean[][] = [Array(k).fill(true)];
    for (let v = 0; v < 3; v++) {
      // The first wrong answer gets every fact wrong; the others a random non-empty subset.
      const wrong = q.attributes.map(() => v === 0 || rng() < 0.5);
      if (!wrong.some((w) => w)) wrong[Math.floor(rng() * k)] = true;
      variants.push(wrong.map((w) => !w));
    }
    const responses = variants.map((right) => {
      const values = q.attributes.map((attr, i) => (right[i] ? attr.value(q.entity) : attr.corrupt(q.entity, world, rng)));
      const a = answer(q, rng, values);
      const reward = right.filter((r) => r).length / k;
      return { completion: ' ' + a.text, reward: Math.round(reward * 1000) / 1000, scores: { fact: factScores(a).map((s) => ({ ...s, start: s.start + 1, end: s.end + 1 })) } };
    });
    return { prompt: promptText(q), responses: shuffled(responses, rng) };
  });
}

function main(): void {
  const world = makeWorld(mulberry32(SEED));
  const text = corpus(allEntities(world), mulberry32(SEED + 1), SIZES.corpusPasses);
  const train = instructionRecords(world, mulberry32(SEED + 2), SIZES.train);
  const evalSet = instructionRecords(world, mulberry32(SEED + 3), SIZES.eval, new Set(train.map((r) => r.prompt)));
  const responses = responseRecords(world, mulberry32(SEED + 4), SIZES.responsePrompts);

  // The tokenizer also learns the words of the chat template and of the alpaca layout, which the
  // data loader writes around other users' records; special tokens are split off before BPE.
  const layouts = ['system\n', 'user\n', 'assistant\n', '### Instruction:\n', '\n\n### Input:\n', '\n\n### Response:\n'];
  const texts: string[] = [text, ...train.map((r) => r.prompt + r.completion), ...layouts.flatMap((l) => Array<string>(50).fill(l))];
  const model = trainBpe(texts, SPECIAL_TOKENS, SIZES.vocab);

  mkdirSync(join(OUT, 'data'), { recursive: true });
  mkdirSync(join(OUT, 'tokenizer'), { recursive: true });
  writeFileSync(join(OUT, 'corpus.txt'), text);
  writeFileSync(join(OUT, 'data', 'train.jsonl'), jsonl(train));
  writeFileSync(join(OUT, 'data', 'eval.jsonl'), jsonl(evalSet));
  writeFileSync(join(OUT, 'data', 'responses.jsonl'), jsonl(responses));
  writeFileSync(join(OUT, 'tokenizer', 'tokenizer.json'), JSON.stringify(tokenizerJson(model), null, 2) + '\n');
  writeFileSync(join(OUT, 'tokenizer', 'tokenizer_config.json'), JSON.stringify(tokenizerConfig(model, SIZES.maxLength), null, 2) + '\n');
  writeFileSync(join(OUT, 'tokenizer', 'special_tokens_map.json'), JSON.stringify(specialTokensMap(), null, 2) + '\n');
  writeFileSync(join(OUT, 'world.json'), JSON.stringify(world) + '\n');
  // The held-out questions are read off the files just written (which facts train.jsonl states).
  const root = join(OUT, '..', '..');
  writeFileSync(questionsFile(root), jsonl(bundledQuestions(root)));
  // The high-quality split (the Rho-1 reference's data) is train.jsonl's answers stated plainly.
  writeFileSync(hqFile(root), jsonl(bundledHq(root)));
  console.log(`corpus ${text.length} chars; train ${train.length}, eval ${evalSet.length}, responses ${responses.length} prompts; vocab ${model.vocab.size} (${model.merges.length} merges)`);
}

main();
