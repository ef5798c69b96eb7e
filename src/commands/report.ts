// `sftgoc report RUN_DIR`: thin wrapper; the work is in src/report/.
import { Args, Flags } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { processOutput } from '../cli/output.js';

export default class Report extends SftgocCommand {
  static override summary = 'Write report.html for a run: loss curves by group, params and lr, token heat-map.';
  static override description =
    'Reads RUN_DIR/config.json, metrics.jsonl and eval.jsonl and writes RUN_DIR/report.html (self-contained: inline SVG and CSS, ' +
    'no network resources): training and held-out loss of every group over steps, every param (λ included) and the learning rate ' +
    'over steps, and the token heat-map of the first --samples training samples (as `sftgoc groups --format html` shows them; with ' +
    'the run\'s final/ model when there is one). Exit 1 when the run directory is missing or damaged.';
  static override examples = ['<%= config.bin %> report runs/quickstart-2026-11-22T04-05-09'];
  static override args = { runDir: Args.string({ required: true, description: 'a run directory written by sftgoc run' }) };
  static override flags = {
    json: commonFlags.json,
    quiet: commonFlags.quiet,
    samples: Flags.integer({ description: 'Training samples in the token heat-map.', default: 3, min: 1 }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Report);
    // Loaded here, not at the top: oclif imports every command file at startup.
    const { runReport } = await import('../app/report.js');
    process.exitCode = await runReport(args.runDir, { samples: flags.samples, quiet: flags.quiet, json: flags.json }, processOutput);
  }
}
