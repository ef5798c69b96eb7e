// The checker: names, types and settings of a loaded program. It returns tables (the type of each
// expression, what each name refers to) that lowering (src/ir/lower.ts) reads; it never throws.
import { error, type Diagnostic } from '../diagnostics/diagnostic.js';
import type { Settings, SettingsSpans } from '../language/values.js';
import type { LoadedFile } from './load.js';
import type { CompileHost } from './host.js';
import { resolveNames, type Program } from './names.js';
import { checkSettings } from './settings.js';
import { checkReward, lossReadsRewards } from './reward.js';
import type { RewardSpec } from '../language/on-policy.js';
import { TypeChecker, type TypeInfo } from './typecheck.js';
import { typeName } from './types.js';

export interface CheckedProgram {
  program: Program;
  info: TypeInfo;
  checker: TypeChecker;
  settings: Settings;
  settingSpans: SettingsSpans;
  /** `reward = …` with a `sample { }` block: on-policy training. */
  reward?: RewardSpec;
}

export function checkProgram(
  files: LoadedFile[],
  overrides: Record<string, number>,
  diagnostics: Diagnostic[],
  /** `--set` blocks, applied after every file. */
  extraBlocks: Program['blocks'] = [],
  /** The main file, when `files` ends with synthetic `--param` files. */
  mainPath?: string,
  /** Checks that a `command("PATH")` reward program can run. */
  host?: CompileHost,
): CheckedProgram {
  const program = resolveNames(files, diagnostics, mainPath);
  program.blocks.push(...extraBlocks);
  const checker = new TypeChecker(program, diagnostics, overrides);
  // Every definition is checked, redefined ones included, so a broken stdlib line is never hidden.
  for (const def of program.definitions) checker.definitionType(def);
  if (program.loss !== undefined) {
    const t = checker.check(program.loss.value, program.loss.scope);
    if (t !== 'error' && t !== 'scalar' && t !== 'tokens' && t !== 'restricted') {
      const hint = t === 'number' ? 'a constant has no gradient; use a token quantity such as `ce`' : t === 'groups' ? 'reduce the groups, e.g. `max(groups)`' : t === 'mask' ? 'reduce a group, e.g. `mean(ce[g])`' : undefined;
      diagnostics.push(error('E0305', `the loss must be a scalar or tokens, found ${typeName(t)}`, program.loss.value.span, hint));
    }
  }
  const { settings, spans } = checkSettings(program.blocks, diagnostics);
  // No fallback: with no reference the only candidate is the model being trained, whose excess is
  // 0 everywhere at step 0 (excess_loss() would then rank by position); a file must say so itself.
  if (checker.info.usesReference !== undefined && settings.reference === undefined) {
    diagnostics.push(
      error('E0508', 'this objective reads the reference model\'s ce, and no `reference { }` block names a reference', checker.info.usesReference,
        'add `reference { train = "FILE.sftgo" }` (std/rho1 trains stdlib/rho1-reference.sftgo), `reference { path = "DIR" }`, or `reference { path = "self" }` for the model at its initial weights'),
    );
  }
  const reward = checkReward(program, settings, spans, lossReadsRewards(program), host, diagnostics);
  return { program, info: checker.info, checker, settings, settingSpans: spans, reward };
}
