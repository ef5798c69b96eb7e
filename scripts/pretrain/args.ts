// Command-line options of scripts/pretrain.ts. A bad flag is reported by name (and the script exits
// 2) instead of being silently ignored, so a regeneration command in docs cannot drift unnoticed.
export interface PretrainArgs {
  /** Wall-time budget; the step count is estimated from a short timing run unless --steps is given. */
  minutes: number;
  /** Fixed number of updates (reproducible bit for bit); 0: derive from --minutes. */
  steps: number;
  out: string;
  seed: number;
  batch: number;
  lr: number;
  /** Corpus blocks of this many tokens; also the model's position count. */
  blockLen: number;
  /** Every n-th corpus block is held out for the corpus loss (never trained on). */
  holdoutEvery: number;
  evalEvery: number;
  /** --minutes was given: stop at 1.5 × the budget even with --steps (a guard on a loaded machine). */
  minutesGiven: boolean;
}

export const DEFAULTS: Omit<PretrainArgs, 'out'> = {
  minutes: 12,
  steps: 0,
  seed: 1,
  batch: 16,
  lr: 3e-3,
  blockLen: 128,
  holdoutEvery: 20,
  evalEvery: 100,
  minutesGiven: false,
};

const NUMERIC: Record<string, { key: keyof Omit<PretrainArgs, 'out' | 'minutesGiven'>; integer: boolean; min: number }> = {
  '--minutes': { key: 'minutes', integer: false, min: 0.05 },
  '--steps': { key: 'steps', integer: true, min: 0 },
  '--seed': { key: 'seed', integer: true, min: 0 },
  '--batch': { key: 'batch', integer: true, min: 1 },
  '--lr': { key: 'lr', integer: false, min: 0 },
  '--block-len': { key: 'blockLen', integer: true, min: 2 },
  '--holdout-every': { key: 'holdoutEvery', integer: true, min: 2 },
  '--eval-every': { key: 'evalEvery', integer: true, min: 0 },
};

export function parsePretrainArgs(argv: readonly string[], defaultOut: string): { args: PretrainArgs; errors: string[] } {
  const args: PretrainArgs = { ...DEFAULTS, out: defaultOut };
  const errors: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (flag === '--out') {
      if (value === undefined) errors.push('--out: expected a directory');
      else args.out = value;
      i++;
      continue;
    }
    const spec = NUMERIC[flag];
    if (spec === undefined) {
      errors.push(`unknown option '${flag}'; the options are --out, ${Object.keys(NUMERIC).join(', ')}`);
      // Its value, if it has one, is not another option.
      if (value !== undefined && !value.startsWith('--')) i++;
      continue;
    }
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < spec.min || (spec.integer && !Number.isInteger(n))) {
      errors.push(`${flag}: expected ${spec.integer ? 'an integer' : 'a number'} ≥ ${spec.min}, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
    } else {
      args[spec.key] = n;
      if (flag === '--minutes') args.minutesGiven = true;
    }
    i++;
  }
  return { args, errors };
}
