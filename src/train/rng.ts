// A small seeded pseudo-random generator whose whole state is one 32-bit integer, so that it can be
// written into a checkpoint's state.json and restored exactly (Math.random cannot be seeded).
// Algorithm: mulberry32, a well-known 32-bit generator with good statistical quality for shuffling.

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** The state to save; `Rng.fromState(s)` continues the same sequence. */
  getState(): number {
    return this.state;
  }

  static fromState(state: number): Rng {
    return new Rng(state);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/**
 * The order in which the samples of `epoch` are visited: a Fisher-Yates shuffle seeded by the run
 * seed and the epoch number. Deriving the order from (seed, epoch) rather than from a running
 * generator means a resumed run needs only its position, and every epoch's order can be recomputed.
 */
export function epochOrder(count: number, seed: number, epoch: number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  // Mix seed and epoch so neighbouring seeds/epochs do not give related sequences.
  const rng = new Rng(Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b));
  for (let i = count - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}
