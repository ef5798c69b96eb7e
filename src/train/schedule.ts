// Learning-rate schedules of the `train { lr_schedule = ... }` setting (LANGUAGE.md §8). They follow
// Hugging Face transformers' get_*_schedule_with_warmup exactly, so numbers match TRL runs:
//   warm-up steps W = ceil(warmup · S) (S: total optimizer steps);
//   update k (0-based) uses lr · f(k), with f(k) = k / W during the warm-up (so the very first
//   update of a warmed-up run has lr 0, as in transformers), then
//   constant: 1;  linear: (S − k) / (S − W);  cosine: ½ (1 + cos(π (k − W) / (S − W))), reaching 0 at S.

export type LrScheduleKind = 'constant' | 'linear' | 'cosine';

export interface LrSchedule {
  kind: LrScheduleKind;
  /** Fraction of the total steps spent warming up, in [0, 1]. */
  warmup: number;
}

export function warmupSteps(schedule: LrSchedule, totalSteps: number): number {
  // The small slack keeps 7% of 100 at 7 steps: 0.07 × 100 is 7.000000000000001 in floating point,
  // which transformers' math.ceil turns into 8. Here only a real fraction of a step rounds up.
  return Math.ceil(schedule.warmup * totalSteps - 1e-9);
}

/** The multiplier of the base lr for update `k` (0-based) of `totalSteps`. */
export function lrFactor(schedule: LrSchedule, k: number, totalSteps: number): number {
  const w = warmupSteps(schedule, totalSteps);
  if (k < w) return k / Math.max(1, w);
  switch (schedule.kind) {
    case 'constant':
      return 1;
    case 'linear':
      return Math.max(0, (totalSteps - k) / Math.max(1, totalSteps - w));
    case 'cosine': {
      const progress = (k - w) / Math.max(1, totalSteps - w);
      return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * progress)));
    }
  }
}

export function learningRate(baseLr: number, schedule: LrSchedule, k: number, totalSteps: number): number {
  return baseLr * lrFactor(schedule, k, totalSteps);
}

/** Canonical text form, as written in .sftgo: `cosine(warmup = 7%)`. */
export function formatLrSchedule(schedule: LrSchedule): string {
  if (schedule.kind === 'constant' && schedule.warmup === 0) return 'constant';
  return `${schedule.kind}(warmup = ${+(schedule.warmup * 100).toPrecision(12)}%)`;
}

/**
 * Parses the text form (`constant`, `linear`, `cosine(warmup = 7%)`, `cosine(warmup=0.07)`), as given
 * on the command line (`--set train.lr_schedule=...`). Returns an error message instead of throwing.
 */
export function parseLrSchedule(text: string): LrSchedule | string {
  const m = /^\s*(constant|linear|cosine)\s*(?:\(\s*(?:warmup\s*=\s*([0-9.eE+-]+)\s*(%?)\s*)?\))?\s*$/.exec(text);
  if (m === null) return `'${text}' is not a learning-rate schedule; expected constant, linear(warmup = P%) or cosine(warmup = P%)`;
  const kind = m[1] as LrScheduleKind;
  let warmup = 0;
  if (m[2] !== undefined) {
    warmup = Number(m[2]) / (m[3] === '%' ? 100 : 1);
    if (!Number.isFinite(warmup) || warmup < 0 || warmup > 1) return `warm-up '${m[2]}${m[3] ?? ''}' must lie in [0%, 100%]`;
  }
  return { kind, warmup };
}
