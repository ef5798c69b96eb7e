// Online Group DRO's weights q (LANGUAGE.md §7, Sagawa et al. 2020, Alg. 1) as training state.
// One weight vector per `dro(...)` node of the loss (in post-order), over every group of the
// partition (rest last). The update q_g ← q_g·exp(step·mean_g) runs on detached group means, for the
// non-empty groups only, then q is renormalised; the value uses the updated q.
//
// When the update runs: once per optimizer update, on its first micro-batch (StepContext.microBatch
// = 0) and only while training. The other micro-batches of the update use the q that the first one
// produced; evaluation uses the current q and changes nothing. So q moves exactly once per step
// whatever grad_accum is, and a checkpoint taken between steps holds the q the next step starts from.

export interface DroSnapshot {
  version: 1;
  /** q per dro node, each over the partition's groups (rest last). */
  weights: number[][];
}

export class DroState {
  private weights: number[][];

  constructor(private readonly sizes: readonly number[]) {
    this.weights = sizes.map((g) => new Array<number>(g).fill(1 / g));
  }

  get count(): number {
    return this.sizes.length;
  }

  current(node: number): number[] {
    return [...this.weights[node]!];
  }

  /** Replaces node's weights (the library's `droWeights` input). */
  set(node: number, q: readonly number[]): void {
    if (q.length !== this.sizes[node]) throw new Error(`dro weights: expected ${this.sizes[node]} values, got ${q.length}`);
    this.weights[node] = [...q];
  }

  /**
   * The update rule on detached means; `live[g]` false leaves group g out of the update. Computed in
   * log space (log q_g + step·mean_g, shifted by the largest) so a large step·mean cannot overflow exp:
   * the same q as the direct formula wherever that one is finite.
   */
  update(node: number, rate: number, means: readonly number[], live: readonly boolean[]): number[] {
    const logs = this.weights[node]!.map((q, g) => Math.log(q) + (live[g] ? rate * means[g]! : 0));
    const top = Math.max(...logs.filter((v) => v !== -Infinity));
    const q = logs.map((v) => (v === -Infinity ? 0 : Math.exp(v - top)));
    const z = q.reduce((a, b) => a + b, 0);
    this.weights[node] = q.map((v) => v / z);
    return [...this.weights[node]!];
  }

  snapshot(): DroSnapshot {
    return { version: 1, weights: this.weights.map((q) => [...q]) };
  }

  /** Restores a snapshot; returns problems (wrong shape, non-finite or negative weights) instead of throwing. */
  restore(state: unknown): string[] {
    const s = state as Partial<DroSnapshot> | null;
    if (s === null || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.weights)) return ['expected {version: 1, weights: number[][]} for the Group DRO weights'];
    if (s.weights.length !== this.sizes.length) return [`the checkpoint has ${s.weights.length} Group DRO weight vectors, the objective ${this.sizes.length}`];
    const problems: string[] = [];
    s.weights.forEach((q, i) => {
      if (!Array.isArray(q) || q.length !== this.sizes[i]) problems.push(`Group DRO weights ${i}: expected ${this.sizes[i]} values`);
      else if (q.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0)) problems.push(`Group DRO weights ${i}: values must be finite and ≥ 0`);
    });
    if (problems.length === 0) this.weights = s.weights.map((q) => [...q]);
    return problems;
  }
}
