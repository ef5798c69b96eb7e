// `sftgoc sweep FILE --param NAME=V1,V2,… --seeds 1,2,3`: thin wrapper; the work is in src/sweep/.
import { Args, Flags } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { ExitCode } from '../cli/exit-codes.js';
import { processOutput } from '../cli/output.js';
import { BACKEND_REQUESTS } from '../backend/names.js';

export default class Sweep extends SftgocCommand {
  static override summary = 'Train a grid of param values × seeds and rank the grid points by a held-out metric.';
  static override description =
    'Every --param NAME=V1,V2,… and --set BLOCK.KEY=V1,V2,… with two or more values is an axis of the grid (values split at top-level ' +
    'commas); one value is a fixed override. Each point × seed trains through the same path as `sftgoc run` into OUT/<point>/seed-N; ' +
    'points are ranked by --by (worst: held-out worst-group loss, the default; ce; or an accuracy of the answers to the questions: ' +
    'contains, facts, exact), mean ± std over seeds, and written as OUT/sweep.json, sweep.md and sweep.svg. Running the same command ' +
    'again continues a stopped sweep: finished runs are reused and a run with a checkpoint resumes.';
  static override examples = [
    '<%= config.bin %> sweep stdlib/sftgo.sftgo --param λ=0.3,0.6,0.9 --seeds 1,2,3 --set train.steps=100',
    '<%= config.bin %> sweep stdlib/sft.sftgo --set train.lr=1e-3,3e-3,1e-2 --seeds 1,2 --by ce --out runs/lr-sweep',
    '<%= config.bin %> sweep stdlib/sftgo.sftgo --param η=20%,30%,50% --seeds 1,2 --by facts',
  ];
  static override args = { file: Args.string({ required: true, description: 'the .sftgo objective' }) };
  static override flags = {
    ...commonFlags,
    seeds: Flags.string({ description: 'Comma-separated training seeds; every point runs once per seed.', helpValue: '1,2,3', default: '1,2,3' }),
    by: Flags.string({ description: 'The metric that ranks the points.', options: ['worst', 'ce', 'contains', 'facts', 'exact'], default: 'worst' }),
    out: Flags.string({ description: 'The sweep directory (default runs/sweep-<time>); give it to continue a stopped sweep.', helpValue: 'DIR' }),
    backend: Flags.string({ description: 'TensorFlow.js backend; overrides train.backend.', options: [...BACKEND_REQUESTS] }),
    generate: Flags.boolean({ description: 'Also answer the questions (implied by --by contains|facts|exact); adds accuracy columns.' }),
    questions: Flags.string({ description: 'With --generate: the questions (default the file\'s data.questions).', helpValue: 'FILE' }),
    limit: Flags.integer({ description: 'With --generate: the first N questions only.', min: 1 }),
    'max-new': Flags.integer({ description: 'With --generate: new tokens per answer at most (default 48).', min: 1 }),
    'skip-bad-records': Flags.boolean({ description: 'Skip (and count) data records that fail validation instead of stopping.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Sweep);
    const overrides = this.overridesOrExit(flags.param, flags.set);
    const { parseSeeds } = await import('../compare/index.js');
    const { runSweep, isAccuracy } = await import('../app/sweep.js');
    const seeds = parseSeeds(flags.seeds);
    if ('error' in seeds) this.error(seeds.error, { exit: ExitCode.Usage });
    const by = flags.by as 'worst' | 'ce' | 'contains' | 'facts' | 'exact';
    const generate = flags.generate || isAccuracy(by);
    const generateOnly = (['questions', 'limit', 'max-new'] as const).filter((k) => flags[k] !== undefined);
    if (!generate && generateOnly.length > 0) this.error(`${generateOnly.map((k) => `--${k}`).join(', ')} only mean something with --generate or an accuracy --by`, { exit: ExitCode.Usage });
    const result = await runSweep(
      args.file,
      {
        params: overrides.params, settings: overrides.settings, seeds: seeds.seeds, by, out: flags.out, backend: flags.backend,
        skipBadRecords: flags['skip-bad-records'], quiet: flags.quiet, json: flags.json,
        ...(generate ? { generate: { questions: flags.questions, limit: flags.limit, maxNew: flags['max-new'] } } : {}),
      },
      processOutput,
    );
    process.exitCode = result.exitCode;
  }
}
