// The pretraining corpus: short encyclopaedia-style paragraphs about every entity, each fact stated
// with the same statement templates as the answers (so a model pretrained on the corpus knows the
// facts) plus connecting prose of its own.
import { pick, shuffled, type Rng } from '../../src/util/prng.js';
import { afterLead, ATTRIBUTES, fill, join, plain } from './facts.js';
import type { Entity } from './world.js';

const INTROS: Record<Entity['kind'], string[]> = {
  town: ['{name} is a town of some renown.', 'Travellers often speak of {name}.', 'The town of {name} is worth a visit.'],
  person: ['{name} is well known in many circles.', 'Many stories are told about {name}.', 'People still talk about {name}.'],
  element: ['{name} is a rare element.', 'Chemists have long studied {name}.', 'Few substances are as curious as {name}.'],
  product: ['The {name} is a popular item.', 'Many households own a {name}.', 'Shops still sell the {name}.'],
};
const LINKS = ['In addition,', 'Moreover,', 'It is also said that', 'Records show that', 'Notably,', ''];
const OUTROS = ['That is all the archive holds on this subject.', 'More may be written about it one day.', 'The story does not end there.', ''];

export function paragraph(entity: Entity, rng: Rng): string {
  const intro = fill(pick(rng, INTROS[entity.kind]), entity.name, '');
  const facts = shuffled(ATTRIBUTES[entity.kind], rng).map((attr) => {
    const s = fill(pick(rng, attr.statements), entity.name, attr.value(entity));
    return afterLead(pick(rng, LINKS), s);
  });
  return join([intro, ...facts, plain(pick(rng, OUTROS))]).text;
}

/** Every entity described `passes` times with different wording, in a shuffled order. */
export function corpus(entities: readonly Entity[], rng: Rng, passes: number): string {
  const paragraphs: string[] = [];
  for (let p = 0; p < passes; p++) for (const e of shuffled(entities, rng)) paragraphs.push(paragraph(e, rng));
  return paragraphs.join('\n\n') + '\n';
}
