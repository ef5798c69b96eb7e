// How a run and an update end, as every engine reports them (src/engine/types.ts re-exports these):
// the trainer loop of the tfjs engine returns them, so they live below the engines.
import type { EvalMetrics, StepMetrics } from './metrics.js';

/**
 * diverged: a non-finite loss or out of memory (exit 3); failed: a worker process crashed, was
 * killed or stopped answering (exit 3, with which rank and how); rejected: the engine found its
 * inputs unusable before training (a model that does not load: exit 1).
 */
export type TrainStatus = 'completed' | 'interrupted' | 'diverged' | 'failed' | 'rejected';

/** How a run ended; the application layer maps it to CLI.md's exit codes. */
export interface TrainOutcome {
  status: TrainStatus;
  /** Updates done. */
  step: number;
  totalSteps: number;
  /** The metrics of the updates this call ran (not the resumed ones before it). */
  history: StepMetrics[];
  evals: EvalMetrics[];
  lastCheckpoint?: string;
  finalDir?: string;
  /** Why training stopped early (diverged) or could not resume. */
  message?: string;
}
