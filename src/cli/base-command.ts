// What every sftgoc command shares: the common flags of CLI.md and the rule that nothing escapes as
// an uncaught exception. Kept light on purpose: oclif imports every command file when it starts
// (there is no manifest), so a command must import heavy modules (TensorFlow.js) inside run(),
// never at the top of its file, or `sftgoc check` would pay for them.
import { describeDiskFailure, DiskWriteError, isDiskErrno } from '../util/disk-error.js';
import { Command, Errors, Flags } from '@oclif/core';
import { setDiagnosticColour, wantsColour } from '../diagnostics/render.js';
import { ExitCode } from './exit-codes.js';
import { parseOverrides, type Overrides } from './overrides.js';

export const commonFlags = {
  json: Flags.boolean({ description: 'Print the machine-readable result on stdout (JSON); human text goes to stderr.' }),
  quiet: Flags.boolean({ char: 'q', description: 'Print errors only: no warnings, summaries or notices.' }),
  param: Flags.string({
    description: 'Override a param of the file, e.g. λ=0.5 or eta=20% (repeatable).',
    helpValue: 'NAME=VALUE',
    multiple: true,
    // Non-greedy: `--param λ=0.5 a.sftgo` must leave a.sftgo to the FILE argument.
    multipleNonGreedy: true,
  }),
  set: Flags.string({
    description: 'Override a run setting, e.g. train.lr=1e-4 (repeatable).',
    helpValue: 'BLOCK.KEY=VALUE',
    multiple: true,
    multipleNonGreedy: true,
  }),
};

export abstract class SftgocCommand extends Command {
  /** Diagnostics in colour on a terminal (NO_COLOR / FORCE_COLOR as usual); pipes and files stay plain. */
  override async init(): Promise<void> {
    await super.init();
    setDiagnosticColour(wantsColour([process.stdout, process.stderr]));
  }

  /** Validates --param/--set, or stops with a usage error (exit 2) naming each bad flag. */
  protected overridesOrExit(params: string[] | undefined, sets: string[] | undefined): Overrides {
    const result = parseOverrides(params ?? [], sets ?? []);
    if (!result.ok) this.error(result.errors.join('\n'), { exit: ExitCode.Usage });
    return result.overrides;
  }

  /** Unexpected failures become one clear message and exit 70, never a stack trace dump. */
  protected override async catch(err: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    // A parse error for which oclif would print the whole help (a missing FILE, an unexpected
    // argument): one line saying what is wrong and the short usage, exit 2.
    if (err instanceof Errors.CLIError && (err as { showHelp?: boolean }).showHelp === true) {
      const ctor = this.constructor as typeof Command;
      const argNames = Object.keys(ctor.args ?? {}).map((a) => a.toUpperCase());
      const missing = (err as { args?: Array<{ name: string; description?: string }> }).args;
      const what = missing !== undefined && missing.length > 0
        ? `missing ${missing.map((a) => `${a.name.toUpperCase()}${a.description ? ` (${a.description})` : ''}`).join(', ')}`
        : err.message.split('\n')[0]!.replace(/^Error: /, '');
      return this.error(`${what}\nusage: ${this.config.bin} ${this.id ?? ''} ${argNames.join(' ')} [flags]; see ${this.config.bin} ${this.id ?? ''} --help`, { exit: ExitCode.Usage });
    }
    // oclif's own errors (usage, --help, this.error, this.exit) already carry their exit code.
    if (err instanceof Errors.CLIError || err instanceof Errors.ExitError || err.oclif?.exit !== undefined) return super.catch(err);
    // A full, read-only or forbidden disk is the environment, not a bug: one line, exit 1.
    if (err instanceof DiskWriteError || isDiskErrno(err)) {
      const message = err instanceof DiskWriteError ? err.message : describeDiskFailure(err.path ?? '(unknown path)', err.code);
      process.stderr.write(`error: ${message}\n`);
      return this.exit(ExitCode.InputError);
    }
    const detail = process.env.DEBUG ? `\n${err.stack ?? ''}` : '';
    process.stderr.write(`sftgoc: internal error: ${err.message ?? String(err)}${detail}\nThis is a bug in sftgoc; please report it with the command line and input.\n`);
    return this.exit(ExitCode.Internal);
  }
}
