// `sftgoc fmt FILE… [--check]`: thin wrapper; the work is in src/cli/format-files.ts and src/fmt/.
import { Args, Flags } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { processOutput } from '../cli/output.js';

export default class Fmt extends SftgocCommand {
  static override summary = 'Rewrite .sftgo files in canonical form.';
  static override description =
    'Formats each FILE in place (written to a temporary file, then renamed over the original). ' +
    'A file with syntax errors is left alone and its errors are printed. Formatting twice changes nothing.';
  static override examples = ['<%= config.bin %> fmt objective.sftgo', '<%= config.bin %> fmt --check stdlib/*.sftgo'];
  static override strict = false;
  static override args = { file: Args.string({ required: true, description: '.sftgo files to format' }) };
  static override flags = {
    json: commonFlags.json,
    quiet: commonFlags.quiet,
    check: Flags.boolean({ description: 'Change nothing; list the files that would change and exit 1 if any would.' }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Fmt);
    // Loaded here, not at the top: oclif imports every command file at startup.
    const { runFmt } = await import('../cli/format-files.js');
    process.exitCode = await runFmt(argv as string[], { check: flags.check, json: flags.json, quiet: flags.quiet }, processOutput);
  }
}
