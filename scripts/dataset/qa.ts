// Instruction records: a question about one entity and a chatty answer in which the facts (names,
// numbers, attributes) are a minority of the tokens, wrapped in varied filler. Each record carries
// `scores: {fact: [...]}` marking the fact spans of its completion, usable with column("fact").
import { pick, randInt, shuffled, type Rng } from '../../src/util/prng.js';
import { afterLead, ATTRIBUTES, fill, join, plain, type Attribute, type Spanned } from './facts.js';
import type { Entity } from './world.js';

const OPENERS = [
  'Certainly! Here is what I know.',
  'Good question, and I am happy to help with it.',
  'Sure, let me look into that for you.',
  'Of course. I can tell you about that.',
  'That is an interesting thing to ask about.',
  'Happy to help! Let me share what I have on this.',
  'Thanks for asking. Here is the answer as I understand it.',
  'Great question. I have some information about that.',
];
export const LEADS = [
  'According to the records I have,',
  'As far as I can tell,',
  'From what I have read,',
  'If I remember the details correctly,',
  'Based on the information available to me,',
  '',
  '',
];
const CLOSERS = [
  'I hope this helps!',
  'Let me know if you would like to know more.',
  'Feel free to ask another question if anything is unclear.',
  'Is there anything else you would like to know?',
  'I hope that answers your question.',
  'Please tell me if you need more details about it.',
];
export const ABOUT_QUESTIONS = ['Tell me about {name}.', 'What do you know about {name}?', 'Can you describe {name} for me?'];

export interface Question {
  entity: Entity;
  attributes: Attribute[];
  prompt: string;
}

export function pickQuestion(entities: readonly Entity[], rng: Rng): Question {
  const entity = pick(rng, entities);
  const attrs = ATTRIBUTES[entity.kind];
  if (rng() < 0.25) {
    const chosen = shuffled(attrs, rng).slice(0, randInt(rng, 2, 3));
    return { entity, attributes: chosen, prompt: pick(rng, ABOUT_QUESTIONS).replace('{name}', entity.name) };
  }
  const attr = pick(rng, attrs);
  return { entity, attributes: [attr], prompt: pick(rng, attr.questions).replace('{name}', entity.name) };
}

/** The prompt as the bundled data writes it; the completion starts with a space after `Answer:`. */
export function promptText(q: Question): string {
  return `Question: ${q.prompt}\nAnswer:`;
}

/**
 * A completion for `q`. `values[i]` overrides the value of attribute i (a corrupted fact).
 */
export function answer(q: Question, rng: Rng, values?: readonly string[]): Spanned {
  const statements = q.attributes.map((attr, i) => fill(pick(rng, attr.statements), q.entity.name, values?.[i] ?? attr.value(q.entity)));
  const lead = pick(rng, LEADS);
  if (statements.length > 0) statements[0] = afterLead(lead, statements[0]!);
  const middle = q.attributes.length > 1 && rng() < 0.5 ? [plain('There is more to say.')] : [];
  const body = statements.length > 1 ? [statements[0]!, ...middle, ...statements.slice(1)] : statements;
  return join([plain(pick(rng, OPENERS)), ...body, plain(pick(rng, CLOSERS))]);
}

/** Character spans as the data format writes them: [{start, end, score}]. */
export function factScores(s: Spanned): Array<{ start: number; end: number; score: number }> {
  return s.facts.map(([start, end]) => ({ start, end, score: 1 }));
}

/** The bundled data files' layout: one JSON object a line, each line ended by a newline. */
export function jsonl(records: readonly object[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
