// `sftgoc compile FILE --emit ast|ir|plan`: thin wrapper; the work is in src/cli/compile-file.ts.
import { Args, Flags } from '@oclif/core';
import { commonFlags, SftgocCommand } from '../cli/base-command.js';
import { processOutput } from '../cli/output.js';

export default class Compile extends SftgocCommand {
  static override summary = 'Print the parsed tree (ast), the typed objective IR (ir) or the execution plan (plan) of a .sftgo file.';
  static override description =
    '--emit ast prints the syntax tree as JSON; --emit ir prints the typed objective IR (as JSON under --json). ' +
    'Diagnostics go to stderr; the exit code is 1 when there are errors. ' +
    '--emit plan prints the lowering\'s execution plan: the precompute passes (static scorers, reference ce, with their cache keys), ' +
    'the per-step graph, the fused head and the backend. --param and --set are applied and checked as in sftgoc run.';
  static override examples = [
    '<%= config.bin %> compile stdlib/sftgo.sftgo --emit ir',
    '<%= config.bin %> compile stdlib/sftgo.sftgo --emit plan --param η=20%',
    '<%= config.bin %> compile a.sftgo --emit ast --json',
    '<%= config.bin %> compile examples/card.sftgo --emit torch --out card-torch',
  ];
  static override args = { file: Args.string({ required: true, description: 'the .sftgo file' }) };
  static override flags = {
    ...commonFlags,
    emit: Flags.string({ description: 'What to print (torch: write the objective as a PyTorch program into --out).', options: ['ast', 'ir', 'plan', 'torch'], default: 'ir' }),
    out: Flags.string({ description: 'The folder --emit torch writes (created if missing).', helpValue: 'DIR' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Compile);
    const overrides = this.overridesOrExit(flags.param, flags.set);
    // Loaded here, not at the top: oclif imports every command file at startup.
    const [{ runCompile }, stages] = await Promise.all([import('../cli/compile-file.js'), import('../cli/compiler-bridge.js')]);
    const emit = flags.emit as 'ast' | 'ir' | 'plan' | 'torch';
    process.exitCode = await runCompile(args.file, { emit, json: flags.json, quiet: flags.quiet, overrides, out: flags.out }, stages.compileStages, processOutput);
  }
}
