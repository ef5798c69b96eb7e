// `sftgoc init [DIR]`: thin wrapper; the work is in src/init/.
import { Args } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { processOutput } from '../cli/output.js';

export default class Init extends SftgocCommand {
  static override summary = 'Write a starter objective, a few data records and a README.';
  static override description =
    'Writes objective.sftgo (SFT-GO with TF-IDF groups, every line commented), data/train.jsonl and data/eval.jsonl ' +
    '(prompt-completion records) and README.md into DIR (default: the current directory), creating DIR if needed. ' +
    'Never overwrites: if any of these files exists, it names them and writes nothing (exit 1).';
  static override examples = ['<%= config.bin %> init my-objective', '<%= config.bin %> init'];
  static override args = { dir: Args.string({ required: false, description: 'the directory to write into', default: '.' }) };
  static override flags = { json: commonFlags.json, quiet: commonFlags.quiet };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Init);
    const { runInit } = await import('../app/init.js');
    process.exitCode = await runInit(args.dir ?? '.', { quiet: flags.quiet, json: flags.json }, processOutput);
  }
}
