// The exit codes of CLI.md, in one place, plus the one it leaves open: a failure of sftgoc itself.
export const ExitCode = {
  /** Everything worked (warnings allowed). */
  Success: 0,
  /** The user's input is wrong: diagnostics, bad data, files that `fmt --check` would change. */
  InputError: 1,
  /** Bad command-line usage: unknown flag, malformed `--param`/`--set`, unreadable FILE argument. */
  Usage: 2,
  /** Training failed after saving what could be saved. */
  TrainingFailed: 3,
  /** A bug in sftgoc, not in the input (EX_SOFTWARE of sysexits.h); the message asks for a report. */
  Internal: 70,
  /** Interrupted (SIGINT), after saving a checkpoint. */
  Interrupted: 130,
  /** Terminated (SIGTERM: SLURM, Kubernetes, spot preemption), after saving a checkpoint: 128 + 15. */
  Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
