// `sftgoc check FILE…`: thin wrapper; the work is in src/cli/check-files.ts. No model, no data and
// no TensorFlow.js: test/cli proves the last in a child process.
import { Args } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { processOutput } from '../cli/output.js';

export default class Check extends SftgocCommand {
  static override summary = 'Parse and type-check .sftgo files, printing every diagnostic.';
  static override description = 'Exit code 0 when no file has an error (warnings allowed), 1 otherwise, 2 for bad usage.';
  static override examples = ['<%= config.bin %> check objective.sftgo', '<%= config.bin %> check stdlib/*.sftgo --json'];
  static override strict = false;
  static override args = { file: Args.string({ required: true, description: '.sftgo files to check' }) };
  static override flags = { ...commonFlags };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Check);
    const overrides = this.overridesOrExit(flags.param, flags.set);
    // Loaded here, not at the top: oclif imports every command file at startup.
    const [{ runCheck }, stages] = await Promise.all([import('../cli/check-files.js'), import('../cli/compiler-bridge.js')]);
    process.exitCode = await runCheck(argv as string[], { json: flags.json, quiet: flags.quiet, overrides }, stages.checkSource, processOutput);
  }
}
