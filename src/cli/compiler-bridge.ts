// Connects the commands to the compiler library (src/compile.ts, src/ir/print.ts, src/parse/).
// Imported lazily by check and compile, so `sftgoc fmt --help` does not load the checker.
import { checkLimits } from '../check/limits.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import { compile } from '../compile.js';
import { objectiveToJson, printObjective } from '../ir/print.js';
import { executionPlan } from '../lower/plan.js';
import { chooseCoreType, readCpuFlags } from '../backend/blas/coretype.js';
import { nativeLevelNote } from '../backend/native-kernels/level.js';
import { torchAllocatorNote } from '../util/malloc-env.js';
import { analyze } from '../analysis/index.js';
import { parse } from '../parse/index.js';
import type { CheckSource } from './check-files.js';
import type { CompileStages } from './compile-file.js';
import type { Overrides, ParamOverride, SetOverride } from './overrides.js';
import type { Override } from '../language/overrides.js';

/** `30%` → 0.3, `1e-4` → 0.0001; undefined for anything that is not a plain number or percent (a schedule, say). */
export function numericValue(text: string): number | undefined {
  const percent = /^([0-9.eE+-]+)%$/.exec(text);
  const body = percent ? percent[1]! : text;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(body)) return undefined;
  const value = Number(body);
  return percent ? value / 100 : value;
}

/** The command line's overrides in the form compile() takes: params as expression text, `--set` as settings text. */
export function compileOverrides(overrides: { readonly params: readonly ParamOverride[]; readonly settings: readonly SetOverride[] }): { overrides: Override[] } {
  return {
    overrides: [
      ...overrides.params.map((p): Override => ({ kind: 'param', name: p.name, value: p.text })),
      ...overrides.settings.map((s): Override => ({ kind: 'set', key: `${s.block}.${s.key}`, value: s.text })),
    ],
  };
}

export const checkSource: CheckSource = (source, file, overrides) => {
  const result = compile(source, { file, ...compileOverrides(overrides) });
  return { diagnostics: result.diagnostics, sources: result.sources };
};

export const compileStages: CompileStages = {
  // --emit ast prints the tree as JSON, recursively: a tree nested past the compiler's bounds is reported instead.
  parse(source, file) {
    const parsed = parse(source, file);
    if (parsed.ast === undefined || hasErrors(parsed.diagnostics)) return parsed;
    const limits: Diagnostic[] = [];
    checkLimits([{ ast: parsed.ast }], limits);
    const tooDeep = limits.filter((d) => d.code === 'E0602' || d.code === 'E0603');
    return tooDeep.length > 0 ? { ...parsed, diagnostics: [...parsed.diagnostics, ...tooDeep] } : parsed;
  },
  compileIr(source, file, overrides) {
    const result = compile(source, { file, ...compileOverrides(overrides) });
    const objective = result.objective;
    return {
      diagnostics: result.diagnostics,
      sources: result.sources,
      ir: objective === undefined ? undefined : { text: printObjective(objective).trimEnd(), json: JSON.parse(objectiveToJson(objective)) as unknown },
    };
  },
  async compileTorch(source, file, overrides, out) {
    const result = compile(source, { file, ...compileOverrides(overrides) });
    if (result.objective === undefined) return { diagnostics: result.diagnostics, sources: result.sources };
    // Loaded here: the program writer reads the runtime's Python files; nothing of it imports tfjs.
    const { writeProgram, runtimeFiles } = await import('../engine/torch/program.js');
    const emitted = await writeProgram(out, result.objective, analyze(result.objective), file);
    const files = ['objective.py', ...(await runtimeFiles()), 'README.md'];
    const text = [
      `wrote ${out}/: ${files.join(', ')}`,
      `objective ${result.objective.name}${emitted.groupNames.length > 0 ? `, groups ${emitted.groupNames.join(', ')}` : ''}`,
      `train it with: sftgoc run ${file} --engine torch; use its loss in TRL: see docs/scale-out.md`,
    ].join('\n');
    return { diagnostics: result.diagnostics, sources: result.sources, ir: { text, json: { out, files, objective: result.objective.name, groups: emitted.groupNames } } };
  },
  compilePlan(source, file, overrides) {
    const result = compile(source, { file, ...compileOverrides(overrides) });
    const plan = result.objective === undefined ? undefined : executionPlan(result.objective, {
      // What this machine would ask OpenBLAS for (nothing is loaded to say it): the BLAS paths' kernels.
      blasKernels: chooseCoreType(readCpuFlags(), process.env).note,
      elementKernels: nativeLevelNote(readCpuFlags(), process.env),
      torchAllocator: torchAllocatorNote(process.env),
    });
    return {
      diagnostics: result.diagnostics,
      sources: result.sources,
      ir: plan === undefined ? undefined : { text: plan.text.trimEnd(), json: plan.json },
    };
  },
};
