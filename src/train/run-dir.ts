// The run directory of CLI.md: objective.sftgo, config.json, metrics.jsonl, eval.jsonl, cache/,
// checkpoints/, final/. This class owns the small files; checkpoint.ts owns checkpoints and final/.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cleanInterruptedWrites, writeFileAtomic } from '../util/atomic.js';
import { asDiskError } from '../util/disk-error.js';
import type { EvalMetrics, StepMetrics } from './metrics.js';
import type { RolloutRecord } from '../language/on-policy.js';

/**
 * The command that continues the run in `dir`, as printed after an interruption or a full disk: it
 * works exactly as printed (the run's objective and settings come from the directory), the path
 * quoted for a POSIX shell when it needs it.
 */
export function resumeCommand(dir: string): string {
  const word = /^[A-Za-z0-9_./:=@%+,-]+$/.test(dir) ? dir : `'${dir.replace(/'/g, `'\\''`)}'`;
  return `sftgoc run --resume ${word}`;
}

export class RunDirectory {
  constructor(readonly path: string) {}

  get metricsFile(): string {
    return join(this.path, 'metrics.jsonl');
  }
  get evalFile(): string {
    return join(this.path, 'eval.jsonl');
  }
  /** On-policy training's samples: one RolloutRecord a line (src/language/on-policy.ts). */
  get rolloutsFile(): string {
    return join(this.path, 'rollouts.jsonl');
  }
  get cacheDir(): string {
    return join(this.path, 'cache');
  }
  get finalDir(): string {
    return join(this.path, 'final');
  }

  /** Creates the directory (and cache/) if missing; create() also writes the run's description. */
  async ensure(): Promise<void> {
    await mkdir(this.cacheDir, { recursive: true });
  }

  /** Creates the directory with config.json and objective.sftgo (both atomically). */
  async create(config: Record<string, unknown>, objectiveSource: string): Promise<void> {
    await mkdir(this.cacheDir, { recursive: true });
    await writeFileAtomic(join(this.path, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    await writeFileAtomic(join(this.path, 'objective.sftgo'), objectiveSource);
  }

  // One JSON object per line; an append of one short line is not torn in practice, and a resume
  // rewrites both files (truncateAfter) so that they end at the checkpoint it continues from.
  async appendMetrics(m: StepMetrics): Promise<void> {
    await append(this.metricsFile, `${JSON.stringify(m)}\n`);
  }

  /** A step's rollouts, written before its metrics line, in one append (a resume truncates both alike). */
  async appendRollouts(records: readonly RolloutRecord[]): Promise<void> {
    if (records.length === 0) return;
    await append(this.rolloutsFile, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
  }

  async appendEval(e: EvalMetrics): Promise<void> {
    await append(this.evalFile, `${JSON.stringify(e)}\n`);
  }

  /** Removes the temporaries of saves a killed process left behind (hold the lock first). */
  async cleanInterruptedWrites(): Promise<string[]> {
    return cleanInterruptedWrites([this.path, join(this.path, 'checkpoints'), this.cacheDir]);
  }

  /** Drops the lines of steps after `step` (written after the checkpoint a resume continues from). */
  async truncateAfter(step: number): Promise<void> {
    for (const file of [this.metricsFile, this.evalFile, this.rolloutsFile]) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue;
      }
      const kept = text.split('\n').filter((line) => {
        if (line.trim() === '') return false;
        try {
          return (JSON.parse(line) as { step: number }).step <= step;
        } catch {
          return false; // a torn last line from a crash
        }
      });
      await writeFileAtomic(file, kept.map((l) => `${l}\n`).join(''));
    }
  }
}

async function append(file: string, line: string): Promise<void> {
  try {
    await appendFile(file, line);
  } catch (e) {
    throw asDiskError(e, file, Buffer.byteLength(line));
  }
}
