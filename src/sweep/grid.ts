// The grid of `sftgoc sweep`: each `--param NAME=V1,V2,…` or `--set BLOCK.KEY=V1,V2,…` with more than
// one value is an axis; a single value is a fixed override for every run. The grid's points are the
// cartesian product of the axes, first axis slowest. Values are split at top-level commas only, so
// `--param λ='linear(0.9 -> 0.05)'` and `--set train.betas=[0.9,0.99]` stay one value.
import type { ParamOverride, SetOverride } from '../cli/overrides.js';
import { GREEK_ALIASES } from '../language/builtins.js';

/** λ → lambda, for folder names. */
const SPELLED = new Map(Object.entries(GREEK_ALIASES).map(([ascii, greek]) => [greek, ascii]));

/** Points at most: a grid is trained point × seed times, each a whole run. */
export const MAX_GRID_POINTS = 256;

export interface GridPoint {
  /** `λ=0.5, train.lr=3e-3` (the fixed overrides are not repeated). */
  label: string;
  /** A file-system name for the point's folder. */
  slug: string;
  params: ParamOverride[];
  settings: SetOverride[];
}

export interface Grid {
  /** The axes' names (`λ`, `train.lr`), in the order given. */
  axes: string[];
  points: GridPoint[];
}

/** Splits at commas outside (), [], {} and quotes; undefined when the brackets do not balance. */
export function splitTopLevel(text: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      if (--depth < 0) return undefined;
    } else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (depth !== 0 || quote !== undefined) return undefined;
  out.push(text.slice(start).trim());
  return out;
}

type Axis = { name: string; values: Array<ParamOverride | SetOverride>; kind: 'param' | 'set' };

/** The grid, or the usage problems of its flags (an empty value, a repeated value, too many points). */
export function sweepGrid(params: readonly ParamOverride[], settings: readonly SetOverride[]): { grid: Grid; fixed: { params: ParamOverride[]; settings: SetOverride[] } } | { errors: string[] } {
  const errors: string[] = [];
  const axes: Axis[] = [];
  const fixed = { params: [] as ParamOverride[], settings: [] as SetOverride[] };
  const split = (flag: string, text: string): string[] | undefined => {
    const values = splitTopLevel(text);
    if (values === undefined) errors.push(`${flag}: unbalanced brackets or quotes`);
    else if (values.some((v) => v === '')) errors.push(`${flag}: an empty value (two commas, or one at an end)`);
    else if (new Set(values).size !== values.length) errors.push(`${flag}: a value appears twice`);
    else return values;
    return undefined;
  };
  for (const p of params) {
    const values = split(`--param ${p.flag}`, p.text);
    if (values === undefined) continue;
    if (values.length === 1) fixed.params.push(p);
    else axes.push({ name: p.name, kind: 'param', values: values.map((text) => ({ ...p, text, flag: `${p.name}=${text}` })) });
  }
  for (const s of settings) {
    const values = split(`--set ${s.flag}`, s.text);
    if (values === undefined) continue;
    if (values.length === 1) fixed.settings.push(s);
    else axes.push({ name: `${s.block}.${s.key}`, kind: 'set', values: values.map((text) => ({ ...s, text, flag: `${s.block}.${s.key}=${text}` })) });
  }
  if (errors.length > 0) return { errors };
  if (axes.length === 0) return { errors: ['nothing to sweep: give at least one --param NAME=V1,V2,… or --set BLOCK.KEY=V1,V2,… with two or more values'] };
  const size = axes.reduce((n, a) => n * a.values.length, 1);
  if (size > MAX_GRID_POINTS) return { errors: [`the grid has ${size} points (${axes.map((a) => `${a.name}: ${a.values.length}`).join(' × ')}); at most ${MAX_GRID_POINTS}`] };
  let points: Array<Array<{ axis: Axis; value: ParamOverride | SetOverride }>> = [[]];
  for (const axis of axes) points = points.flatMap((p) => axis.values.map((value) => [...p, { axis, value }]));
  return {
    fixed,
    grid: {
      axes: axes.map((a) => a.name),
      points: points.map((p, i) => {
        const label = p.map(({ axis, value }) => `${axis.name}=${value.text}`).join(', ');
        return {
          label,
          // Numbered: two labels may sanitise to the same name (Greek letters, symbols).
          slug: `${String(i + 1).padStart(3, '0')}-${[...label].map((c) => SPELLED.get(c) ?? c).join('').replace(/[^A-Za-z0-9_.=-]+/g, '_').replace(/^_+|_+$/g, '')}`.slice(0, 100),
          params: p.filter(({ axis }) => axis.kind === 'param').map(({ value }) => value as ParamOverride),
          settings: p.filter(({ axis }) => axis.kind === 'set').map(({ value }) => value as SetOverride),
        };
      }),
    },
  };
}
