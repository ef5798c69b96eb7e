// The user-facing text about commands says what the code does: `compile --emit plan` prints the
// lowering's plan (it was once refused with exit 2), and docs/cli.md documents run, eval and groups
// with the flags those commands really declare.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Compile from '../../src/commands/compile.js';
import Eval from '../../src/commands/eval.js';
import Groups from '../../src/commands/groups.js';
import { repoRoot } from '../helpers/golden.js';

// The repository root, not this file's folder: CI runs the compiled copy under dist/test/.
const root = repoRoot;
const cliDoc = readFileSync(join(root, 'docs', 'cli.md'), 'utf8');

describe('command help and docs/cli.md', () => {
  it('compile: --emit plan is described as printing the plan, nowhere as refused', () => {
    const help = `${Compile.summary} ${Compile.description}`;
    assert.match(help, /--emit plan prints/);
    assert.doesNotMatch(help, /exit 2|does not exist yet/);
    const planRow = cliDoc.split('\n').find((l) => l.startsWith('| `plan` |'));
    assert.ok(planRow !== undefined && !/not available|exit 2/.test(planRow), planRow);
    assert.doesNotMatch(cliDoc, /`--emit plan` \|/);
  });

  it('docs/cli.md has a section for run, eval and groups, naming every flag eval and groups declare', () => {
    for (const cmd of ['run', 'eval', 'groups']) assert.match(cliDoc, new RegExp(`^## \`sftgoc ${cmd} `, 'm'), cmd);
    const section = (cmd: string) => {
      const start = cliDoc.indexOf(`## \`sftgoc ${cmd} `);
      return cliDoc.slice(start, cliDoc.indexOf('\n## ', start + 1));
    };
    for (const [cmd, flags] of [['groups', Groups.flags], ['eval', Eval.flags]] as const) {
      for (const name of Object.keys(flags).filter((f) => !['json', 'quiet', 'param', 'set', 'skip-bad-records'].includes(f))) {
        assert.ok(section(cmd).includes(`--${name}`), `docs/cli.md, sftgoc ${cmd}: --${name} is not documented`);
      }
    }
  });
});
