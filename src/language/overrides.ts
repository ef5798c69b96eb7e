// The command line's overrides of an objective, as the compiler takes them: typed values, not
// source files. `sftgoc run a.sftgo --param λ=0.5 --set train.lr=1e-4` becomes
//   [{ kind: 'param', name: 'λ', value: '0.5' }, { kind: 'set', key: 'train.lr', value: '1e-4' }].
// The compiler checks each one like source text; its diagnostics point at the flag, which
// `overrideLabel` names (`--param λ`, `--set train.lr`) and whose text the rendered excerpt shows.

export type Override =
  /** `--param NAME=VALUE`: a number replaces the param's value; a string is an expression (`linear(0.9 -> 0.05)`). */
  | { kind: 'param'; name: string; value: number | string }
  /** `--set block.key=VALUE`: VALUE in settings syntax, applied after every file. */
  | { kind: 'set'; key: string; value: string };

/** The flag an override came from, as diagnostics and the run record name it. */
export function overrideLabel(o: Override): string {
  return o.kind === 'param' ? `--param ${o.name}` : `--set ${o.key}`;
}
