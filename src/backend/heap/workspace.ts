// The buffers a native op's forward keeps for its backward (the trunks', the loss head's), laid out
// in one arena block, and the pool that reuses them from step to step.
import type { Arena } from './arena.js';
import { engineState } from '../tfjs-internals.js';

/**
 * Whether an op called now is recorded for differentiation (a gradient tape is open and we are not
 * inside another op's forward), and the engine's current tape (tfjs internals: its engine state).
 */
export function engineTape(): { recording: boolean; activeTape: unknown } {
  const state = engineState();
  return { recording: state.gradientDepth > 0 && state.kernelDepth === 0, activeTape: state.activeTape };
}

/**
 * Named buffers in one arena block. A subclass declares its fields, then in its constructor calls
 * add() for each (one buffer, or `count` per-layer buffers as an array) and seal(). Views are made
 * again by refresh() when the arena's memory has moved (wasm memory growth detaches views).
 */
export abstract class ArenaWorkspace<D> {
  /** Bumped each time the workspace is handed out, so a stale backward is detected. */
  generation = 0;
  /** The tape the current forward was recorded on (its backward can only run while it is active). */
  tape: unknown = undefined;
  private readonly layout: { field: string; index: number; size: number; offset: number; int: boolean }[] = [];
  private total = 0;
  private bound: ArrayBufferLike | undefined;

  protected constructor(readonly dims: D, private readonly arena: Arena) {}

  protected add(field: string, size: number, count?: number, int = false): void {
    for (let index = 0; index < (count ?? 1); index++) {
      this.layout.push({ field, index: count === undefined ? -1 : index, size, offset: this.total, int });
      // 16-byte alignment for the SIMD kernels' loads.
      this.total += Math.ceil(size / 4) * 4;
    }
  }

  /** One int32 buffer (token ids), in the same block. */
  protected addInt(field: string, size: number): void {
    this.add(field, size, undefined, true);
  }

  protected seal(): void {
    this.arena.reserve(this.total);
    this.refresh();
  }

  refresh(): void {
    if (this.bound === this.arena.buffer()) return;
    const self = this as unknown as Record<string, Float32Array | Int32Array | Float32Array[]>;
    for (const e of this.layout) {
      const floats = this.arena.view(e.offset, e.size);
      const view = e.int ? new Int32Array(floats.buffer, floats.byteOffset, floats.length) : floats;
      if (e.index < 0) self[e.field] = view;
      else (self[e.field] as Float32Array[])[e.index] = view as Float32Array;
    }
    this.bound = this.arena.buffer();
  }

  release(): void {
    this.arena.release();
  }

  /** Whether this workspace serves a call of these dimensions. */
  abstract fits(dims: D): boolean;
}

/**
 * Reused workspaces, so a step neither allocates nor zeroes them again. A workspace is out from
 * its forward to its backward; one whose tape has ended without running its backward (a recorded
 * op off the path to the loss) is taken back at the next forward. Two free ones at most (training
 * and evaluation shapes); older ones are freed.
 */
export class WorkspacePool<D, W extends ArenaWorkspace<D>> {
  private readonly free: W[] = [];
  private outstanding: W[] = [];

  /**
   * A workspace for `dims` (made by `make` when none is free), marked as out on `tape` (undefined
   * when the forward is not recorded). `activeTape` is the engine's current tape: a workspace out on
   * another one can never see its backward (a tape's backward runs before the next tape starts).
   */
  take(dims: D, tape: unknown, activeTape: unknown, make: (dims: D) => W): W {
    for (const w of this.outstanding.filter((o) => o.tape !== activeTape)) this.give(w);
    const i = this.free.findIndex((w) => w.fits(dims));
    const ws = i >= 0 ? this.free.splice(i, 1)[0]! : make(dims);
    ws.generation++;
    ws.tape = tape;
    this.outstanding.push(ws);
    return ws;
  }

  give(ws: W): void {
    this.outstanding = this.outstanding.filter((w) => w !== ws);
    this.free.push(ws);
    while (this.free.length > 2) this.free.shift()!.release();
  }

  clear(): void {
    for (const w of [...this.free, ...this.outstanding]) w.release();
    this.free.length = 0;
    this.outstanding = [];
  }
}
