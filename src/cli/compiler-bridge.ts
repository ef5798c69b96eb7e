// Connects the commands to the compiler library (src/compile.ts, src/ir/print.ts, src/parse/).
// Imported lazily by check and compile, so `sftgoc fmt --help` does not load the checker.
import { compile } from '../compile.js';
import { objectiveToJson, printObjective } from '../ir/print.js';
import { parse } from '../parse/index.js';
import type { CheckSource } from './check-files.js';
import type { CompileStages } from './compile-file.js';
import type { Overrides } from './overrides.js';

/** `30%` → 0.3, `1e-4` → 0.0001; anything else is not a number the compiler can take yet. */
export function numericValue(text: string): number | undefined {
  const percent = /^([0-9.eE+-]+)%$/.exec(text);
  const body = percent ? percent[1]! : text;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) return undefined;
  const value = Number(body);
  return percent ? value / 100 : value;
}

/**
 * Overrides that the compiler cannot apply, as usage errors. compile() takes numeric params only
 * and no settings overrides yet, so `--param λ='linear(…)'` and `--set` are refused here rather
 * than silently ignored.
 */
export function overrideProblems(overrides: Overrides): string[] {
  const problems: string[] = [];
  for (const p of overrides.params) {
    if (numericValue(p.text) === undefined) {
      problems.push(`--param ${JSON.stringify(p.flag)}: the value must be a number or a percent (e.g. 0.5, 1e-4, 20%)`);
    }
  }
  for (const s of overrides.settings) {
    problems.push(`--set ${JSON.stringify(s.flag)}: settings overrides are not supported by check/compile yet`);
  }
  return problems;
}

function params(overrides: Overrides): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of overrides.params) out[p.name] = numericValue(p.text)!;
  return out;
}

export const checkSource: CheckSource = (source, file, overrides) => {
  const result = compile(source, { file, params: params(overrides) });
  return { diagnostics: result.diagnostics, sources: result.sources };
};

export const compileStages: CompileStages = {
  parse,
  compileIr(source, file, overrides) {
    const result = compile(source, { file, params: params(overrides) });
    const objective = result.objective;
    return {
      diagnostics: result.diagnostics,
      sources: result.sources,
      ir: objective === undefined ? undefined : { text: printObjective(objective).trimEnd(), json: JSON.parse(objectiveToJson(objective)) as unknown },
    };
  },
};
