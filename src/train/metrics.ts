// The records of metrics.jsonl and eval.jsonl (CLI.md), and the host-side aggregation of one
// objective evaluation over several micro-batches or eval batches.

export interface GroupMetric {
  loss: number;
  tokens: number;
}

/** One line of metrics.jsonl, exactly CLI.md's fields. */
export interface StepMetrics {
  step: number;
  epoch: number;
  lr: number;
  params: Record<string, number>;
  loss: number;
  ce: number;
  groups: Record<string, GroupMetric>;
  worst_group: string | null;
  tokens_per_s: number;
  elapsed_s: number;
  /** On-policy (src/onpolicy/): mean and population std of the step's batch·n rewards. */
  reward_mean?: number;
  reward_std?: number;
  /** On-policy: seconds spent sampling, scoring, and in the update itself. */
  sample_s?: number;
  reward_s?: number;
  update_s?: number;
}

/** One line of eval.jsonl. */
export interface EvalMetrics {
  step: number;
  epoch: number;
  /** The objective's value, each eval batch's weighted by its loss tokens (as ce is). */
  loss: number;
  /** Held-out token-mean ce and its perplexity exp(ce). */
  ce: number;
  perplexity: number;
  tokens: number;
  groups: Record<string, GroupMetric>;
  worst_group: string | null;
}

/** Sums of one objective's outputs over parts (micro-batches or eval batches). */
export class LossAccumulator {
  private lossSum = 0;
  private parts = 0;
  private ceSum = 0;
  private tokens = 0;
  private readonly groups = new Map<string, { sum: number; tokens: number }>();

  constructor(groupNames: readonly string[]) {
    for (const g of groupNames) this.groups.set(g, { sum: 0, tokens: 0 });
  }

  add(loss: number, ce: number, tokens: number, groups: ReadonlyMap<string, GroupMetric>): void {
    this.lossSum += loss;
    this.parts += 1;
    this.ceSum += ce * tokens;
    this.tokens += tokens;
    for (const [name, g] of groups) {
      const acc = this.groups.get(name) ?? { sum: 0, tokens: 0 };
      acc.sum += g.loss * g.tokens;
      acc.tokens += g.tokens;
      this.groups.set(name, acc);
    }
  }

  /** The loss is the mean over parts (as the averaged gradient is); ce and groups are token means. */
  result(): { loss: number; ce: number; tokens: number; groups: Record<string, GroupMetric>; worstGroup: string | null } {
    const groups: Record<string, GroupMetric> = {};
    let worstGroup: string | null = null;
    let worst = -Infinity;
    for (const [name, g] of this.groups) {
      const loss = g.tokens > 0 ? g.sum / g.tokens : 0;
      groups[name] = { loss, tokens: g.tokens };
      // Empty groups are never the worst (LANGUAGE.md §7: max over non-empty groups; ties to the first).
      if (g.tokens > 0 && loss > worst) {
        worst = loss;
        worstGroup = name;
      }
    }
    return {
      loss: this.parts > 0 ? this.lossSum / this.parts : 0,
      ce: this.tokens > 0 ? this.ceSum / this.tokens : 0,
      tokens: this.tokens,
      groups,
      worstGroup,
    };
  }
}
