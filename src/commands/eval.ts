// `sftgoc eval RUN_DIR | --model DIR --data F`: thin wrapper; the work is in src/app/eval-run.ts.
import { Args, Flags } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { processOutput } from '../cli/output.js';
import { BACKEND_REQUESTS } from '../backend/names.js';

export default class Eval extends SftgocCommand {
  static override summary = 'Held-out loss per group and perplexity of a trained model.';
  static override description =
    'With RUN_DIR: its final/ model (or latest checkpoint), objective and eval data. With --model and --data: any Hugging Face ' +
    'model directory on any JSON Lines file: token-mean ce, or with --objective FILE that objective and its groups (corpus ' +
    'statistics such as tfidf\'s idf then come from the evaluated data itself, and a note says so). --model, --data or ' +
    '--objective also override what RUN_DIR names. A run is evaluated with the params it trained with (its --param overrides ' +
    'included, schedules at its last step); --param NAME=VALUE overrides them. Prints the objective\'s loss, ce, perplexity and each group\'s held-out loss.';
  static override examples = [
    '<%= config.bin %> eval runs/quickstart-2026-11-22T04-05-09',
    '<%= config.bin %> eval --model runs/quickstart-2026-11-22T04-05-09/final --data assets/default/data/eval.jsonl --json',
    '<%= config.bin %> eval runs/quickstart-2026-11-22T04-05-09 --generate',
  ];
  static override args = { runDir: Args.string({ required: false, description: 'a run directory written by sftgoc run' }) };
  static override flags = {
    json: commonFlags.json,
    quiet: commonFlags.quiet,
    model: Flags.string({ description: 'A Hugging Face model directory (config.json, model.safetensors, tokenizer files).', helpValue: 'DIR' }),
    data: Flags.string({ description: 'A JSON Lines data file.', helpValue: 'FILE' }),
    objective: Flags.string({ description: 'A .sftgo file whose objective and groups are evaluated (default: the run\'s; without a run: mean ce).', helpValue: 'FILE' }),
    batch: Flags.integer({ description: 'Samples per evaluation batch (default: the run\'s train.batch, else 8).', min: 1 }),
    'max-len': Flags.integer({ description: 'Tokens per sample at most (default: the run\'s data.max_len; with --model, the model\'s positions; else 512).', min: 2 }),
    backend: Flags.string({ description: 'TensorFlow.js backend.', options: [...BACKEND_REQUESTS], default: 'auto' }),
    'skip-bad-records': Flags.boolean({ description: 'Skip (and count) data records that fail validation.' }),
    set: commonFlags.set,
    param: commonFlags.param,
    generate: Flags.boolean({ description: 'Also answer the questions (greedy, cut at the first line break) and score the answers against their answer and facts; the answers go to generations.jsonl and the scores to generation.json beside the result.' }),
    questions: Flags.string({ description: 'With --generate: the questions (`prompts` records; default the run\'s data.questions, else the evaluated data).', helpValue: 'FILE' }),
    limit: Flags.integer({ description: 'With --generate: the first N questions only.', min: 1 }),
    'max-new': Flags.integer({ description: 'With --generate: new tokens per answer at most (default 48).', min: 1 }),
    generations: Flags.string({ description: 'With --generate: where generations.jsonl and generation.json go (default: the run directory).', helpValue: 'DIR' }),
    engine: Flags.string({ description: 'With --generate: the engine that decodes (tfjs or torch).', options: ['tfjs', 'torch'], default: 'tfjs' }),
    device: Flags.string({ description: 'torch engine: cpu, cuda or auto.', options: ['auto', 'cpu', 'cuda'] }),
    python: Flags.string({ description: 'torch engine: the Python with torch.', helpValue: 'PATH' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Eval);
    const generateOnly = (['questions', 'limit', 'max-new', 'generations'] as const).filter((k) => flags[k] !== undefined);
    if (!flags.generate && generateOnly.length > 0) this.error(`${generateOnly.map((k) => `--${k}`).join(', ')} only mean something with --generate`, { exit: 2 });
    const { runEval } = await import('../app/eval-run.js');
    process.exitCode = await runEval(
      {
        runDir: args.runDir, objective: flags.objective, ...(({ settings, params }) => ({ settings, params }))(this.overridesOrExit(flags.param, flags.set)), model: flags.model, data: flags.data, batch: flags.batch, maxLen: flags['max-len'], backend: flags.backend,
        skipBadRecords: flags['skip-bad-records'], json: flags.json, quiet: flags.quiet,
        ...(flags.generate
          ? {
            generate: {
              questions: flags.questions, limit: flags.limit, maxNew: flags['max-new'], engine: flags.engine as 'tfjs' | 'torch', outDir: flags.generations,
              engineOptions: { python: flags.python, device: flags.device as 'auto' | 'cpu' | 'cuda' | undefined }, tty: process.stderr.isTTY === true,
            },
          }
          : {}),
      },
      processOutput,
    );
  }
}
