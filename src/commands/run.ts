// `sftgoc run FILE`: thin wrapper; the work is in src/app/run.ts and src/pipeline.ts.
import { Args, Flags } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { processOutput } from '../cli/output.js';
import { BACKEND_REQUESTS } from '../backend/names.js';

export default class Run extends SftgocCommand {
  static override summary = 'Compile a .sftgo objective and train a model with it.';
  static override description =
    'Writes the run directory (train.out, default runs/<objective>-<time>): config.json, objective.sftgo, metrics.jsonl, ' +
    'eval.jsonl, checkpoints/step-N/ and final/. Ctrl-C saves a checkpoint and exits 130 (SIGTERM: 143); --resume RUN_DIR continues it. ' +
    'Exit codes: 0 done, 1 bad input, 2 bad usage, 3 training failed (non-finite loss, out of memory, a torch worker that crashed or hung), 70 internal error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM).';
  static override examples = [
    '<%= config.bin %> run examples/quickstart.sftgo',
    '<%= config.bin %> run stdlib/sft.sftgo --set train.lr=1e-4 --set train.steps=200',
    '<%= config.bin %> run --resume runs/quickstart-2026-11-22T04-05-09',
    '<%= config.bin %> run stdlib/sftgo.sftgo --engine torch --nproc 2 --set train.grad_accum=2',
    '<%= config.bin %> run stdlib/sftgo.sftgo --engine torch --nnodes 2 --node-rank 0 --master-addr node0 --master-port 29500',
  ];
  static override args = { file: Args.string({ required: false, description: 'the .sftgo objective (with --resume, optional: the run directory recorded it)' }) };
  static override flags = {
    ...commonFlags,
    backend: Flags.string({ description: 'TensorFlow.js backend; overrides train.backend.', options: [...BACKEND_REQUESTS] }),
    engine: Flags.string({ description: 'tfjs (in process) or torch (a generated PyTorch program; see docs/scale-out.md); wins over train.engine (default tfjs).', options: ['tfjs', 'torch'] }),
    nproc: Flags.integer({ description: 'torch engine: processes on this machine (torch.distributed; one per GPU); the micro-batches of each update are dealt out to them; wins over train.nproc.', min: 1, max: 1024 }),
    device: Flags.string({ description: 'torch engine: where the program trains; wins over train.device.', options: ['auto', 'cpu', 'cuda'] }),
    nnodes: Flags.integer({ description: 'torch engine: machines in the run (one `sftgoc run` on each, with the same FILE and settings); see docs/scale-out.md.', min: 1, max: 1024 }),
    'node-rank': Flags.integer({ description: 'torch engine, with --nnodes: this machine\'s number, 0 to N-1 (machine 0 writes the run\'s metrics and checkpoints).', min: 0, max: 1023 }),
    'master-addr': Flags.string({ description: 'torch engine, with --nnodes: the address of machine 0, reachable from every machine.', helpValue: 'HOST' }),
    'master-port': Flags.integer({ description: 'torch engine, with --nnodes: a free TCP port on machine 0, the same on every machine.', min: 1, max: 65535 }),
    python: Flags.string({ description: 'torch engine: the Python with torch (default: $SFTGOC_PYTHON, python3, /usr/bin/python3).', helpValue: 'PATH' }),
    resume: Flags.string({ description: 'Continue the run in this directory from its newest intact checkpoint, with the objective, settings, params and engine it recorded (FILE optional; only train.steps may change).', helpValue: 'RUN_DIR' }),
    'skip-bad-records': Flags.boolean({ description: 'Skip (and count) data records that fail validation instead of stopping.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    const overrides = this.overridesOrExit(flags.param, flags.set);
    // Loaded here, not at the top: oclif imports every command file at startup.
    const { runFile } = await import('../app/run.js');
    const result = await runFile(
      args.file,
      {
        params: overrides.params, settings: overrides.settings, backend: flags.backend, resume: flags.resume,
        engine: flags.engine as 'tfjs' | 'torch' | undefined,
        engineOptions: {
          python: flags.python, nproc: flags.nproc, device: flags.device as 'auto' | 'cpu' | 'cuda' | undefined,
          nnodes: flags.nnodes, nodeRank: flags['node-rank'], masterAddr: flags['master-addr'], masterPort: flags['master-port'],
        },
        skipBadRecords: flags['skip-bad-records'], quiet: flags.quiet, json: flags.json,
        tty: (flags.json ? process.stderr.isTTY : process.stdout.isTTY) === true,
      },
      processOutput,
    );
    process.exitCode = result.exitCode;
  }
}
