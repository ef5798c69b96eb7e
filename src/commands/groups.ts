// `sftgoc groups FILE`: thin wrapper; the work is in src/app/groups.ts.
import { Args, Flags } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { processOutput } from '../cli/output.js';
import { BACKEND_REQUESTS } from '../backend/names.js';

export default class Groups extends SftgocCommand {
  static override summary = 'Show each token of the data with its scores and group.';
  static override description =
    'Compiles FILE, computes its static scores over the data (--data, else the objective\'s data.train, else the bundled training set) and ' +
    'shows the first --limit samples: text (group markers, colours on a terminal, a table of scores), jsonl (one object per token: ' +
    'sample, position, token_id, token, loss, scores, group, ce with a model) or html (a self-contained heat-map page). ' +
    'With --model DIR or a model { } block it also shows ce and evaluates groups chosen by loss(), excess_loss() or entropy().';
  static override examples = [
    '<%= config.bin %> groups stdlib/sftgo.sftgo --limit 3',
    '<%= config.bin %> groups stdlib/sftgo.sftgo --format html --out groups.html',
    '<%= config.bin %> groups stdlib/rho1.sftgo --model runs/sft/final --format jsonl',
  ];
  static override args = { file: Args.string({ required: true, description: 'the .sftgo objective' }) };
  static override flags = {
    json: commonFlags.json,
    quiet: commonFlags.quiet,
    param: commonFlags.param,
    set: commonFlags.set,
    data: Flags.string({ description: 'A JSON Lines data file (replaces data.train).', helpValue: 'FILE' }),
    limit: Flags.integer({ description: 'Samples shown, from the start of the file.', default: 5, min: 1 }),
    format: Flags.string({ description: 'Output format.', options: ['text', 'jsonl', 'html'], default: 'text' }),
    model: Flags.string({ description: 'A Hugging Face model directory: show its ce, evaluate dynamic groups.', helpValue: 'DIR' }),
    out: Flags.string({ description: 'Write the output to this file instead of stdout.', helpValue: 'FILE' }),
    backend: Flags.string({ description: 'TensorFlow.js backend (when a model runs).', options: [...BACKEND_REQUESTS] }),
    'skip-bad-records': Flags.boolean({ description: 'Skip (and count) data records that fail validation.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Groups);
    const overrides = this.overridesOrExit(flags.param, flags.set);
    // Loaded here, not at the top: oclif imports every command file at startup.
    const { runGroups } = await import('../app/groups.js');
    process.exitCode = await runGroups(
      args.file,
      {
        params: overrides.params, settings: overrides.settings, data: flags.data, limit: flags.limit, format: flags.format as 'text' | 'jsonl' | 'html',
        model: flags.model, backend: flags.backend, out: flags.out, skipBadRecords: flags['skip-bad-records'], quiet: flags.quiet, json: flags.json,
        colour: flags.out === undefined && process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
      },
      processOutput,
    );
  }
}
