// A `--set block.key=VALUE` flag as the run command hands it to the compiler, for tests that call
// runFile, eval or compare directly (the command line's own parsing is tested in test/cli/).
import type { SetOverride } from '../../src/cli/overrides.js';
import type { BlockName } from '../../src/parse/ast.js';

export function setFlag(flag: string): SetOverride {
  const eq = flag.indexOf('=');
  const [block, key] = flag.slice(0, eq).split('.') as [BlockName, string];
  return { block, key, text: flag.slice(eq + 1), flag };
}
