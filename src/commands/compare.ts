// `sftgoc compare FILE… --seeds 1,2,3`: thin wrapper; the work is in src/compare/.
import { Args, Flags } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { ExitCode } from '../cli/exit-codes.js';
import { processOutput } from '../cli/output.js';
import { BACKEND_REQUESTS } from '../backend/names.js';

export default class Compare extends SftgocCommand {
  static override summary = 'Train each objective with the same data and seeds; table of held-out loss per group, mean ± std.';
  static override description =
    'Compiles every FILE first, then trains each one once per seed (train.seed) through the same path as `sftgoc run`, into ' +
    'OUT/<objective>/seed-N, and takes each run\'s final held-out evaluation. Prints a table of held-out ce and each group\'s ' +
    'held-out loss, mean ± sample std over seeds, and writes OUT/compare.json and OUT/compare.md. --param and --set apply to every ' +
    'file (use --set data.train=F --set data.eval=F to put files that name different data on the same data). ' +
    'Exit codes as for run: 1 bad input, 2 bad usage, 3 a run failed.';
  static override examples = [
    '<%= config.bin %> compare stdlib/sft.sftgo stdlib/sftgo.sftgo --seeds 1,2,3',
    '<%= config.bin %> compare a.sftgo b.sftgo --seeds 1,2 --set train.steps=100 --out runs/a-vs-b',
    '<%= config.bin %> compare stdlib/sft.sftgo stdlib/sftgo.sftgo --seeds 1,2 --generate --set train.steps=100',
  ];
  static override strict = false;
  static override args = { files: Args.string({ required: true, description: 'the .sftgo objectives (one or more)' }) };
  static override flags = {
    ...commonFlags,
    seeds: Flags.string({ description: 'Comma-separated training seeds; every file runs once per seed.', helpValue: '1,2,3', default: '1,2,3' }),
    out: Flags.string({ description: 'The compare directory (default runs/compare-<time>).', helpValue: 'DIR' }),
    backend: Flags.string({ description: 'TensorFlow.js backend; overrides train.backend.', options: [...BACKEND_REQUESTS] }),
    'skip-bad-records': Flags.boolean({ description: 'Skip (and count) data records that fail validation instead of stopping.' }),
    generate: Flags.boolean({ description: 'Each final model also answers the questions (greedy); adds answers/contains, answers/facts and answers/exact columns, mean ± std.' }),
    questions: Flags.string({ description: 'With --generate: the questions (`prompts` records; default each file\'s data.questions).', helpValue: 'FILE' }),
    limit: Flags.integer({ description: 'With --generate: the first N questions only.', min: 1 }),
    'max-new': Flags.integer({ description: 'With --generate: new tokens per answer at most (default 48).', min: 1 }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Compare);
    const overrides = this.overridesOrExit(flags.param, flags.set);
    const { parseSeeds } = await import('../compare/index.js');
    const { runCompare } = await import('../app/compare.js');
    // strict = false (any number of FILEs) lets oclif pass unknown flags through as files.
    const files = argv as string[];
    const unknown = files.filter((f) => f.startsWith('-'));
    if (unknown.length > 0) this.error(`unknown flag${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; see sftgoc compare --help`, { exit: ExitCode.Usage });
    const generateOnly = (['questions', 'limit', 'max-new'] as const).filter((k) => flags[k] !== undefined);
    if (!flags.generate && generateOnly.length > 0) this.error(`${generateOnly.map((k) => `--${k}`).join(', ')} only mean something with --generate`, { exit: ExitCode.Usage });
    const seeds = parseSeeds(flags.seeds);
    if ('error' in seeds) this.error(seeds.error, { exit: ExitCode.Usage });
    const result = await runCompare(
      files,
      {
        seeds: seeds.seeds, params: overrides.params, settings: overrides.settings, out: flags.out, backend: flags.backend,
        skipBadRecords: flags['skip-bad-records'], quiet: flags.quiet, json: flags.json,
        ...(flags.generate ? { generate: { questions: flags.questions, limit: flags.limit, maxNew: flags['max-new'] } } : {}),
      },
      processOutput,
    );
    process.exitCode = result.exitCode;
  }
}
