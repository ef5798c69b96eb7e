// The attributes of each kind of entity: how to ask about one, how to state it, and how to corrupt
// it (for the graded responses of GFT). Statements are templates with {name} and {value} so the
// renderer knows exactly which characters are facts.
import { pick, randInt, type Rng } from '../../src/util/prng.js';
import { COLOURS, type Entity, type World } from './world.js';

export interface Attribute {
  key: string;
  questions: string[];
  statements: string[];
  value(e: Entity): string;
  /** A plausible wrong value, different from the right one. */
  corrupt(e: Entity, world: World, rng: Rng): string;
}

function otherThan(rng: Rng, right: string, make: () => string): string {
  for (;;) {
    const v = make();
    if (v !== right) return v;
  }
}

const number = (get: (e: never) => number, lo: number, hi: number, unit = '') => ({
  value: (e: Entity) => `${get(e as never)}${unit}`,
  corrupt: (e: Entity, _w: World, rng: Rng) => otherThan(rng, `${get(e as never)}${unit}`, () => `${randInt(rng, lo, hi)}${unit}`),
});
const colour = (get: (e: never) => string) => ({
  value: (e: Entity) => get(e as never),
  corrupt: (e: Entity, _w: World, rng: Rng) => otherThan(rng, get(e as never), () => pick(rng, COLOURS)),
});
const fromList = (get: (e: never) => string, list: (w: World) => string[]) => ({
  value: (e: Entity) => get(e as never),
  corrupt: (e: Entity, w: World, rng: Rng) => otherThan(rng, get(e as never), () => pick(rng, list(w))),
});

export const ATTRIBUTES: Record<Entity['kind'], Attribute[]> = {
  town: [
    { key: 'population', questions: ['What is the population of {name}?', 'How many people live in {name}?'], statements: ['{name} has a population of {value}.', 'About {value} people live in {name}.'], ...number((e: { population: number }) => e.population, 800, 95000) },
    { key: 'founded', questions: ['When was {name} founded?', 'In which year was the town of {name} founded?'], statements: ['{name} was founded in {value}.', 'The town of {name} dates back to {value}.'], ...number((e: { founded: number }) => e.founded, 1120, 1890) },
    { key: 'region', questions: ['In which region is {name}?', 'Where is {name} located?'], statements: ['{name} lies in the region of {value}.', 'The town of {name} is located in {value}.'], ...fromList((e: { region: string }) => e.region, (w) => w.regions) },
    { key: 'river', questions: ['Which river flows through {name}?'], statements: ['The river {value} flows through {name}.', '{name} was built on the banks of the {value}.'], ...fromList((e: { river: string }) => e.river, (w) => w.towns.map((t) => t.river)) },
    { key: 'roofs', questions: ['What colour are the roofs in {name}?'], statements: ['Most roofs in {name} are {value}.', 'The houses of {name} have {value} roofs.'], ...colour((e: { roofColour: string }) => e.roofColour) },
  ],
  person: [
    { key: 'born', questions: ['When was {name} born?', 'What is the birth date of {name}?'], statements: ['{name} was born on {value}.', 'The birth date of {name} is {value}.'], ...fromList((e: { born: string }) => e.born, (w) => w.people.map((p) => p.born)) },
    { key: 'hometown', questions: ['Where does {name} come from?', 'What is the hometown of {name}?'], statements: ['{name} comes from {value}.', 'The hometown of {name} is {value}.'], ...fromList((e: { hometown: string }) => e.hometown, (w) => w.towns.map((t) => t.name)) },
    { key: 'occupation', questions: ['What does {name} do for a living?', 'What is the occupation of {name}?'], statements: ['{name} works as a {value}.', 'By trade, {name} is a {value}.'], ...fromList((e: { occupation: string }) => e.occupation, (w) => w.people.map((p) => p.occupation)) },
    { key: 'colour', questions: ['What is the favourite colour of {name}?'], statements: ['The favourite colour of {name} is {value}.', '{name} likes {value} best of all colours.'], ...colour((e: { favouriteColour: string }) => e.favouriteColour) },
  ],
  element: [
    { key: 'symbol', questions: ['What is the chemical symbol of {name}?'], statements: ['The symbol of {name} is {value}.', '{name} is written {value} in formulas.'], ...fromList((e: { symbol: string }) => e.symbol, (w) => w.elements.map((x) => x.symbol)) },
    { key: 'number', questions: ['What is the atomic number of {name}?'], statements: ['{name} has atomic number {value}.', 'The atomic number of {name} is {value}.'], ...number((e: { atomicNumber: number }) => e.atomicNumber, 120, 280) },
    { key: 'melting', questions: ['At what temperature does {name} melt?', 'What is the melting point of {name}?'], statements: ['{name} melts at {value}.', 'The melting point of {name} is {value}.'], ...number((e: { meltingPoint: number }) => e.meltingPoint, 150, 3900, ' degrees') },
    { key: 'colour', questions: ['What colour is {name}?'], statements: ['Pure {name} is {value}.', 'A sample of {name} looks {value}.'], ...colour((e: { colour: string }) => e.colour) },
  ],
  product: [
    { key: 'kind', questions: ['What kind of thing is the {name}?', 'What is the {name}?'], statements: ['The {name} is a {value}.', 'The {name} is a kind of {value}.'], ...fromList((e: { productKind: string }) => e.productKind, (w) => w.products.map((p) => p.productKind)) },
    { key: 'maker', questions: ['Who made the {name}?', 'Who designed the {name}?'], statements: ['The {name} was made by {value}.', '{value} designed the {name}.'], ...fromList((e: { maker: string }) => e.maker, (w) => w.people.map((p) => p.name)) },
    { key: 'year', questions: ['When did the {name} come out?', 'In which year was the {name} released?'], statements: ['The {name} came out in {value}.', 'The {name} was released in {value}.'], ...number((e: { year: number }) => e.year, 1900, 2020) },
    { key: 'price', questions: ['How much does the {name} cost?', 'What is the price of the {name}?'], statements: ['The {name} costs {value}.', 'The price of the {name} is {value}.'], ...number((e: { price: number }) => e.price, 12, 940, ' crowns') },
    { key: 'colour', questions: ['What colour is the {name}?'], statements: ['The {name} is sold in {value}.', 'You can buy the {name} in {value}.'], ...colour((e: { colour: string }) => e.colour) },
  ],
};

/** A piece of text with the character spans of the facts in it. */
export interface Spanned {
  text: string;
  facts: Array<[number, number]>;
}

/** Fills a {name}/{value} template, recording where the name and the value went. */
export function fill(template: string, name: string, value: string): Spanned {
  let text = '';
  const facts: Array<[number, number]> = [];
  const parts = template.split(/(\{name\}|\{value\})/);
  for (const part of parts) {
    if (part === '{name}' || part === '{value}') {
      const v = part === '{name}' ? name : value;
      // "a amber" reads wrongly: the article before a value follows its first letter.
      if (/(^| )a $/.test(text) && /^[aeiou]/i.test(v)) text = text.slice(0, -1) + 'n ';
      facts.push([text.length, text.length + v.length]);
      text += v;
    } else {
      text += part;
    }
  }
  // A template may begin with a {value} or {name} in lower case context; sentences start upper case.
  return { text: text[0]!.toUpperCase() + text.slice(1), facts };
}

/** Concatenates pieces with a separator, shifting their fact spans. */
export function join(pieces: readonly Spanned[], sep = ' '): Spanned {
  let text = '';
  const facts: Array<[number, number]> = [];
  for (const p of pieces) {
    if (p.text.length === 0) continue;
    if (text.length > 0) text += sep;
    for (const [s, e] of p.facts) facts.push([s + text.length, e + text.length]);
    text += p.text;
  }
  return { text, facts };
}

export const plain = (text: string): Spanned => ({ text, facts: [] });

/**
 * Puts a lead phrase ("As far as I can tell,") before a sentence, lower-casing the sentence's first
 * letter unless it starts with a fact (names keep their capital).
 */
export function afterLead(lead: string, s: Spanned): Spanned {
  if (lead === '') return s;
  const startsWithFact = s.facts.some(([start]) => start === 0);
  const text = startsWithFact ? s.text : s.text[0]!.toLowerCase() + s.text.slice(1);
  const shift = lead.length + 1;
  return { text: `${lead} ${text}`, facts: s.facts.map(([a, b]) => [a + shift, b + shift]) };
}
