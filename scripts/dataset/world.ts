// The invented world of the bundled dataset: towns, people, elements and products whose names are
// built from syllables, with numbers, colours and dates. Nothing here names a real thing on purpose,
// and every value comes from the seeded generator, so a fact can only be learnt from our data.
import { pick, randInt, type Rng } from '../../src/util/prng.js';

const ONSETS = ['b', 'br', 'd', 'dr', 'f', 'g', 'gr', 'k', 'kl', 'l', 'm', 'n', 'p', 'r', 's', 'st', 't', 'th', 'v', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ae', 'ei', 'ou'];
const CODAS = ['', '', '', 'n', 'r', 'l', 's', 'th', 'm'];

export const COLOURS = ['red', 'blue', 'green', 'amber', 'violet', 'silver', 'golden', 'crimson', 'teal', 'ochre', 'grey', 'white'];
const OCCUPATIONS = ['glassblower', 'cartographer', 'beekeeper', 'clockmaker', 'ferryman', 'weaver', 'astronomer', 'baker', 'potter', 'bookbinder', 'surveyor', 'engineer'];
const PRODUCT_KINDS = ['lantern', 'kettle', 'bicycle', 'telescope', 'umbrella', 'compass', 'loom', 'radio', 'harp', 'sled'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export interface Town { kind: 'town'; name: string; region: string; river: string; population: number; founded: number; roofColour: string }
export interface Person { kind: 'person'; name: string; born: string; hometown: string; occupation: string; favouriteColour: string }
export interface Element { kind: 'element'; name: string; symbol: string; atomicNumber: number; meltingPoint: number; colour: string }
export interface Product { kind: 'product'; name: string; productKind: string; maker: string; year: number; price: number; colour: string }
export type Entity = Town | Person | Element | Product;

export interface World { towns: Town[]; people: Person[]; elements: Element[]; products: Product[]; regions: string[] }

function capitalise(s: string): string {
  return s[0]!.toUpperCase() + s.slice(1);
}

/** Names from 2 or 3 syllables, unique across the whole world so a name identifies one entity. */
class NameMaker {
  private readonly used = new Set<string>();
  constructor(private readonly rng: Rng) {}
  make(minSyllables: number, maxSyllables: number, suffix = ''): string {
    for (;;) {
      const n = randInt(this.rng, minSyllables, maxSyllables);
      let word = '';
      for (let i = 0; i < n; i++) word += pick(this.rng, ONSETS) + pick(this.rng, VOWELS) + (i === n - 1 ? pick(this.rng, CODAS) : '');
      const name = capitalise(word) + suffix;
      if (!this.used.has(name)) {
        this.used.add(name);
        return name;
      }
    }
  }
}

export function makeWorld(rng: Rng, sizes = { regions: 12, towns: 140, people: 180, elements: 50, products: 110 }): World {
  const names = new NameMaker(rng);
  const regions = Array.from({ length: sizes.regions }, () => names.make(2, 3));
  const towns: Town[] = Array.from({ length: sizes.towns }, () => ({
    kind: 'town',
    name: names.make(2, 3),
    region: pick(rng, regions),
    river: names.make(2, 2),
    population: randInt(rng, 800, 95000),
    founded: randInt(rng, 1120, 1890),
    roofColour: pick(rng, COLOURS),
  }));
  const people: Person[] = Array.from({ length: sizes.people }, () => ({
    kind: 'person',
    name: `${names.make(2, 2)} ${names.make(2, 3)}`,
    born: `${randInt(rng, 1, 28)} ${pick(rng, MONTHS)} ${randInt(rng, 1850, 1990)}`,
    hometown: pick(rng, towns).name,
    occupation: pick(rng, OCCUPATIONS),
    favouriteColour: pick(rng, COLOURS),
  }));
  const symbols = new Set<string>();
  const elements: Element[] = Array.from({ length: sizes.elements }, (_, i) => {
    const name = names.make(2, 2, 'ium');
    let symbol = name.slice(0, 2);
    for (let k = 2; symbols.has(symbol); k++) symbol = name[0]! + name[k % name.length]!.toLowerCase();
    symbols.add(symbol);
    return { kind: 'element', name, symbol, atomicNumber: 120 + i * 3 + randInt(rng, 0, 2), meltingPoint: randInt(rng, 150, 3900), colour: pick(rng, COLOURS) };
  });
  const products: Product[] = Array.from({ length: sizes.products }, () => ({
    kind: 'product',
    name: names.make(2, 3),
    productKind: pick(rng, PRODUCT_KINDS),
    maker: pick(rng, people).name,
    year: randInt(rng, 1900, 2020),
    price: randInt(rng, 12, 940),
    colour: pick(rng, COLOURS),
  }));
  return { towns, people, elements, products, regions };
}

export function allEntities(world: World): Entity[] {
  return [...world.towns, ...world.people, ...world.elements, ...world.products];
}
