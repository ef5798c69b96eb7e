// An unexpected exception inside a command becomes one message and exit 70, not a stack trace.
import { strict as assert } from 'node:assert';
import { Config } from '@oclif/core';
import { SftgocCommand } from '../../src/cli/base-command.js';
import { repoRoot } from '../helpers/golden.js';

class Boom extends SftgocCommand {
  static override id = 'boom';
  async run(): Promise<void> {
    throw new TypeError('cannot read properties of undefined');
  }
}

describe('cli: unexpected failures', () => {
  it('print one message naming the failure and exit 70', async () => {
    const config = await Config.load({ root: repoRoot });
    const written: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    const debug = process.env.DEBUG;
    delete process.env.DEBUG;
    let caught: (Error & { oclif?: { exit?: number } }) | undefined;
    try {
      // Command.run goes through oclif's own init → run → catch → finally sequence.
      await Boom.run([], config);
    } catch (error) {
      caught = error as Error & { oclif?: { exit?: number } };
    } finally {
      process.stderr.write = write;
      if (debug !== undefined) process.env.DEBUG = debug;
    }
    assert.equal(caught?.oclif?.exit, 70);
    const text = written.join('');
    assert.match(text, /^sftgoc: internal error: cannot read properties of undefined\nThis is a bug in sftgoc/);
    assert.ok(!text.includes('    at '), 'no stack trace without DEBUG');
  });
});
