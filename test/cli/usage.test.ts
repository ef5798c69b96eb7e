// Usage errors (exit 2) raised while oclif parses the command line, run in-process through oclif's
// own `run` with the commands of this checkout (src/ under tsx, dist/ when compiled).
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '@oclif/core';
import { repoRoot } from '../helpers/golden.js';
import { runningFromSources } from './helpers/cli.js';

async function usageError(argv: string[]): Promise<{ exit: number | undefined; message: string }> {
  const pjson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { oclif: Record<string, unknown> };
  if (runningFromSources) pjson.oclif = { ...pjson.oclif, commands: './src/commands' };
  try {
    await run(argv, { root: repoRoot, pjson: pjson as never });
  } catch (error) {
    const e = error as Error & { oclif?: { exit?: number } };
    return { exit: e.oclif?.exit, message: e.message };
  }
  assert.fail(`sftgoc ${argv.join(' ')} did not fail`);
}

describe('cli: usage errors exit 2', function () {
  this.timeout(20_000);
  const file = join(repoRoot, 'test', 'fmt', 'fixtures', 'messy.sftgo');
  const cases: [string[], RegExp][] = [
    [['check'], /missing FILE .*\nusage: sftgoc check FILE \[flags\]/],
    [['check', '--nope', file], /Nonexistent flag: --nope/],
    [['check', '--param', 'oops', file], /--param "oops": expected NAME=VALUE/],
    [['check', '--set', 'trian.lr=1', file], /unknown block 'trian'/],
    [['compile', file, '--emit', 'bytecode'], /Expected --emit=bytecode to be one of: ast, ir, plan/],
    [['compile'], /missing FILE/],
    [['fmt', '--param', 'λ=0.5', file], /Nonexistent flag/],
    [['no-such-command'], /unknown command `no-such-command`/],
    [['chekc', file], /did you mean `sftgoc check`\?/],
  ];
  for (const [argv, message] of cases) {
    it(`sftgoc ${argv.join(' ')}`, async () => {
      const e = await usageError(argv);
      assert.equal(e.exit, 2, e.message);
      assert.match(e.message, message);
    });
  }
});
