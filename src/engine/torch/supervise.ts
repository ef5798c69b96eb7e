// The torch program's worker processes, from start to the last one gone. Each worker runs in its
// own process group (a terminal's Ctrl-C reaches sftgoc alone, which asks for the stop) with its
// stderr in its own log file (RUN/logs/rank-N.log), and dies with sftgoc (the program asks Linux for
// PR_SET_PDEATHSIG). No worker outlives the run:
//   - when one worker ends badly (a crash, a signal, an exit because a peer failed), the others get
//     a grace period to notice through their collectives and save, then SIGTERM, then SIGKILL, each
//     to the whole process group;
//   - after a stop request (Ctrl-C, SIGTERM) the workers get a longer grace period to finish the
//     update and save, then the same;
//   - when sftgoc itself exits (a second Ctrl-C), every group still running is SIGKILLed at once.
// Then `failureOf` says which rank failed first, how (exit code or signal name) and its log's tail.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The program's own exit codes (sftgoc_dist.py): done, interrupted, a training failure, an uncaught exception, a peer failed. */
export const PROGRAM_EXIT = { done: 0, interrupted: 130, trainingFailed: 3, exception: 1, peerFailed: 75 } as const;

export interface WorkerSpec {
  /** The global rank (several machines: node rank × processes per node + local rank). */
  rank: number;
  env: NodeJS.ProcessEnv;
}

export interface LaunchSpec {
  python: string;
  args: string[];
  cwd: string;
  /** RUN/logs: rank-N.log for each worker. */
  logDir: string;
  workers: WorkerSpec[];
}

export interface WorkerEnd {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** sftgoc signalled it because it had not exited by itself within a grace period. */
  killed: boolean;
  /** The order in which the workers ended (0 first). */
  order: number;
}

export interface Graces {
  /** After a worker ends badly: how long the others get to notice and exit by themselves. */
  peerMs: number;
  /** After a worker ends well (done, interrupted, a shared training failure): the same for the others. */
  cleanMs: number;
  /** After a stop request: how long the workers get to finish the update and save. */
  stopMs: number;
  /** Between SIGTERM and SIGKILL. */
  killMs: number;
}

const seconds = (name: string, fallback: number): number => {
  const v = Number(process.env[name]);
  return (Number.isFinite(v) && v > 0 ? v : fallback) * 1000;
};

/** The grace periods: defaults, or SFTGOC_PEER_GRACE_S, SFTGOC_STOP_GRACE_S, SFTGOC_KILL_GRACE_S. */
export function graces(): Graces {
  return { peerMs: seconds('SFTGOC_PEER_GRACE_S', 30), cleanMs: seconds('SFTGOC_PEER_GRACE_S', 30) * 4, stopMs: seconds('SFTGOC_STOP_GRACE_S', 600), killMs: seconds('SFTGOC_KILL_GRACE_S', 5) };
}

const HEADER = '--- sftgoc: worker started';

export function logFile(logDir: string, rank: number): string {
  return join(logDir, `rank-${rank}.log`);
}

export class Workers {
  readonly children: ChildProcess[];
  private readonly ends: WorkerEnd[] = [];
  private readonly running = new Set<number>();
  private readonly signalled = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private deadline = Infinity;
  private readonly finished: Promise<WorkerEnd[]>;
  private readonly onExit = () => this.killNow();

  constructor(private readonly spec: LaunchSpec, private readonly grace: Graces = graces()) {
    mkdirSync(spec.logDir, { recursive: true });
    this.children = spec.workers.map((w) => {
      const file = logFile(spec.logDir, w.rank);
      // Appended, under a header: a resumed run keeps the log of the attempt that failed.
      appendFileSync(file, `${HEADER} ${new Date().toISOString()}, rank ${w.rank} ---\n`);
      const fd = openSync(file, 'a');
      try {
        return spawn(spec.python, spec.args, { cwd: spec.cwd, stdio: ['ignore', 'pipe', fd], detached: true, env: { ...w.env, SFTGOC_PARENT_PID: String(process.pid) } });
      } finally {
        closeSync(fd); // the child holds its own copy
      }
    });
    process.on('exit', this.onExit);
    this.finished = Promise.all(this.children.map((child, i) => new Promise<void>((resolve) => {
      const rank = spec.workers[i]!.rank;
      this.running.add(i);
      const end = (code: number | null, signal: NodeJS.Signals | null) => {
        if (!this.running.delete(i)) return;
        this.ends.push({ rank, code, signal, killed: this.signalled.has(i), order: this.ends.length });
        this.afterEnd(code, signal);
        resolve();
      };
      child.once('error', () => end(127, null));
      child.once('close', end);
    }))).then(() => {
      if (this.timer !== undefined) clearTimeout(this.timer);
      process.off('exit', this.onExit);
      return [...this.ends].sort((a, b) => a.rank - b.rank);
    });
  }

  /** Calls `onLine` with each line worker `index` (0: the first of this machine) writes to stdout. */
  lines(index: number, onLine: (line: string) => void): void {
    createInterface({ input: this.children[index]!.stdout! }).on('line', onLine);
  }

  /** Every worker's end, by rank, once all have ended. */
  done(): Promise<WorkerEnd[]> {
    return this.finished;
  }

  /** A stop was asked for: the workers save and exit by themselves, or are torn down after the stop grace. */
  stopRequested(): void {
    this.teardownIn(this.grace.stopMs);
  }

  /** SIGKILL to every process group still running (synchronous: safe in a process 'exit' handler). */
  killNow(): void {
    this.signalAll('SIGKILL');
  }

  private afterEnd(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.running.size === 0) return;
    const clean = signal === null && (code === PROGRAM_EXIT.done || code === PROGRAM_EXIT.interrupted || code === PROGRAM_EXIT.trainingFailed);
    this.teardownIn(clean ? this.grace.cleanMs : this.grace.peerMs);
  }

  /** SIGTERM the groups still running after `ms` (the earliest deadline wins), SIGKILL them `killMs` later. */
  private teardownIn(ms: number): void {
    const at = Date.now() + ms;
    if (at >= this.deadline) return;
    this.deadline = at;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.signalAll('SIGTERM');
      this.timer = setTimeout(() => this.signalAll('SIGKILL'), this.grace.killMs);
    }, ms);
  }

  private signalAll(signal: NodeJS.Signals): void {
    for (const i of this.running) {
      this.signalled.add(i);
      try {
        process.kill(-this.children[i]!.pid!, signal);
      } catch {
        // already gone
      }
    }
  }
}

/** "exited with code 9", "was killed by SIGKILL", or that it stopped answering and sftgoc killed it. */
export function describeEnd(end: WorkerEnd): string {
  if (end.killed) return `stopped answering (hung or stopped) and was killed by sftgoc with ${end.signal ?? `code ${end.code}`} after the grace period`;
  if (end.signal !== null) return `was killed by ${end.signal}`;
  if (end.code === PROGRAM_EXIT.exception) return 'exited with code 1 (an uncaught exception)';
  return `exited with code ${end.code}`;
}

/** The last `lines` lines the worker wrote in this launch (after the last header). */
export function logTail(logDir: string, rank: number, lines = 15): string {
  let text: string;
  try {
    text = readFileSync(logFile(logDir, rank), 'utf8');
  } catch {
    return '';
  }
  const start = text.lastIndexOf(HEADER);
  const own = start < 0 ? text : text.slice(text.indexOf('\n', start) + 1);
  return own.trimEnd().split('\n').slice(-lines).join('\n');
}

const expected = (e: WorkerEnd) =>
  !e.killed && e.signal === null && (e.code === PROGRAM_EXIT.done || e.code === PROGRAM_EXIT.interrupted || e.code === PROGRAM_EXIT.trainingFailed || e.code === PROGRAM_EXIT.peerFailed);

/**
 * The worker that failed first, and how: the first to end by a signal or an unexpected code, else
 * one sftgoc had to kill (it hung); undefined when every worker ended as the program decided.
 */
export function culprit(ends: readonly WorkerEnd[]): WorkerEnd | undefined {
  const byOrder = [...ends].sort((a, b) => a.order - b.order);
  return byOrder.find((e) => !e.killed && !expected(e)) ?? byOrder.find((e) => e.killed);
}

/** "rank 1 was killed by SIGKILL (its log, RUN/logs/rank-1.log, ends:\n…)". */
export function failureText(end: WorkerEnd, logDir: string, during?: string): string {
  const tail = logTail(logDir, end.rank);
  return `rank ${end.rank} ${describeEnd(end)}${during ? ` ${during}` : ''}; its log is ${logFile(logDir, end.rank)}${tail ? `, ending:\n${tail}` : ' (empty)'}`;
}
