// The bundled question set for generation (assets/default/data/questions.jsonl, `prompts` format):
// held-out questions about the invented world whose answers are short facts, asked in the training
// data's shape ("Question: …\nAnswer:"), each with `answer` (single-fact questions), `facts` and
// `split`:
//   split "train"   every fact of the record is stated in some training answer (train.jsonl)
//   split "corpus"  no fact of the record is stated in any training answer: only the pretraining
//                   corpus (corpus.txt, which states every fact) can have taught it
// "Stated" is read off the files: a fact (entity, attribute) is stated in train.jsonl when one
// sentence of a completion has both the entity's name and the attribute's value among its marked
// fact spans (`scores.fact`). No question is identical to a train or eval prompt, and no fact is
// asked twice as a single-fact question.
//
// Deterministic (mulberry32, seed QUESTIONS_SEED; make-dataset.ts uses 20250618 to 20250618 + 4).
// Regenerate from the repository root with either of
//   npx tsx scripts/dataset/questions.ts
//   node dist/scripts/dataset/questions.js          (after npx tsc -p tsconfig.json)
// It reads world.json, data/train.jsonl and data/eval.jsonl, and writes data/questions.jsonl.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../../src/util/package-root.js';
import { mulberry32, pick, randInt, shuffled, type Rng } from '../../src/util/prng.js';
import { ATTRIBUTES, type Attribute } from './facts.js';
import { ABOUT_QUESTIONS, jsonl, promptText } from './qa.js';
import { allEntities, type Entity, type World } from './world.js';

export const QUESTIONS_SEED = 20250618 + 5;
export const QUESTION_SIZES = { perSplit: 100, aboutPerSplit: 20 };

export type Split = 'train' | 'corpus';

export interface QuestionRecord {
  prompt: string;
  /** The short fact; absent for "tell me about X" questions, which have several. */
  answer?: string;
  facts: string[];
  split: Split;
}

/** A prompt-completion record as train.jsonl has it. */
export interface QaRecord {
  prompt: string;
  completion: string;
  scores?: { fact?: Array<{ start: number; end: number }> };
}

const factKey = (entity: Entity, attr: Attribute) => `${entity.name}\u0000${attr.key}`;

/**
 * The facts (entity, attribute) stated in `records`: one sentence of a completion marks both the
 * entity's name and the attribute's value as fact spans. Sentences end at ". ", "! " or "? ".
 */
export function statedFacts(records: readonly QaRecord[], world: World): Set<string> {
  const byName = new Map(allEntities(world).map((e) => [e.name, e]));
  const stated = new Set<string>();
  for (const r of records) {
    const text = r.completion;
    // Sentence index of each character; the bundled texts are ASCII, so code points are UTF-16 units.
    const sentenceAt: number[] = [];
    let sentence = 0;
    for (let i = 0; i < text.length; i++) {
      sentenceAt.push(sentence);
      if (/[.!?]/.test(text[i]!) && text[i + 1] === ' ') sentence++;
    }
    const spans = new Map<number, string[]>();
    for (const s of r.scores?.fact ?? []) {
      const k = sentenceAt[s.start]!;
      spans.set(k, [...(spans.get(k) ?? []), text.slice(s.start, s.end)]);
    }
    for (const inSentence of spans.values()) {
      for (const name of inSentence) {
        const entity = byName.get(name);
        if (entity === undefined) continue;
        for (const attr of ATTRIBUTES[entity.kind]) if (inSentence.includes(attr.value(entity))) stated.add(factKey(entity, attr));
      }
    }
  }
  return stated;
}

/**
 * `sizes.perSplit` questions for each split, `sizes.aboutPerSplit` of them "tell me about X" with 2
 * or 3 facts of the same split, the rest single-fact; prompts in `exclude` (train and eval) are never
 * asked. Records come out in a shuffled order.
 */
export function makeQuestions(world: World, inTrain: ReadonlySet<string>, exclude: ReadonlySet<string>, rng: Rng, sizes = QUESTION_SIZES): QuestionRecord[] {
  const entities = allEntities(world);
  const out: QuestionRecord[] = [];
  const used = new Set<string>(); // prompts already asked
  const ask = (template: string, entity: Entity): string | undefined => {
    const prompt = promptText({ entity, attributes: [], prompt: template.replace('{name}', entity.name) });
    return exclude.has(prompt) || used.has(prompt) ? undefined : prompt;
  };
  for (const split of ['train', 'corpus'] as const) {
    const ofSplit = (e: Entity) => ATTRIBUTES[e.kind].filter((a) => inTrain.has(factKey(e, a)) === (split === 'train'));
    // "Tell me about X": an entity with at least two facts of this split, 2 or 3 of them.
    let about = 0;
    for (const entity of shuffled(entities, rng)) {
      if (about === sizes.aboutPerSplit) break;
      const attrs = ofSplit(entity);
      if (attrs.length < 2) continue;
      const prompt = shuffled(ABOUT_QUESTIONS, rng).map((t) => ask(t, entity)).find((p) => p !== undefined);
      if (prompt === undefined) continue;
      const chosen = shuffled(attrs, rng).slice(0, Math.min(attrs.length, randInt(rng, 2, 3)));
      used.add(prompt);
      out.push({ prompt, facts: chosen.map((a) => a.value(entity)), split });
      about++;
    }
    if (about < sizes.aboutPerSplit) throw new Error(`only ${about} "about" questions of split ${split}`);
    // Single-fact questions, one per fact at most.
    const facts = shuffled(entities.flatMap((e) => ofSplit(e).map((a) => [e, a] as const)), rng);
    let single = 0;
    for (const [entity, attr] of facts) {
      if (single === sizes.perSplit - sizes.aboutPerSplit) break;
      const first = pick(rng, attr.questions);
      const prompt = [first, ...attr.questions.filter((q) => q !== first)].map((t) => ask(t, entity)).find((p) => p !== undefined);
      if (prompt === undefined) continue;
      used.add(prompt);
      const value = attr.value(entity);
      out.push({ prompt, answer: value, facts: [value], split });
      single++;
    }
    if (single < sizes.perSplit - sizes.aboutPerSplit) throw new Error(`only ${single} single-fact questions of split ${split}`);
  }
  return shuffled(out, rng);
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as T);
}

export const questionsFile = (root = packageRoot) => join(root, 'assets', 'default', 'data', 'questions.jsonl');

/** The bundled question set, from the bundled world and data under `root`. */
export function bundledQuestions(root = packageRoot): QuestionRecord[] {
  const dir = join(root, 'assets', 'default');
  const world = JSON.parse(readFileSync(join(dir, 'world.json'), 'utf8')) as World;
  const train = readJsonl<QaRecord>(join(dir, 'data', 'train.jsonl'));
  const evalSet = readJsonl<QaRecord>(join(dir, 'data', 'eval.jsonl'));
  const exclude = new Set([...train, ...evalSet].map((r) => r.prompt));
  return makeQuestions(world, statedFacts(train, world), exclude, mulberry32(QUESTIONS_SEED));
}

function main(): void {
  const questions = bundledQuestions();
  const file = questionsFile();
  writeFileSync(file, jsonl(questions));
  const count = (split: Split, about: boolean) => questions.filter((q) => q.split === split && (q.answer === undefined) === about).length;
  console.log(`${file}: ${questions.length} questions; train ${count('train', false)} single + ${count('train', true)} about, corpus ${count('corpus', false)} single + ${count('corpus', true)} about`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
