// The one answer to "what does this objective need", read off its IR once after compilation and
// consumed by everything downstream: the groupers' precompute pass (which static scorers, the
// reference model's ce, `per corpus` thresholds), the lowering onto tfjs (host masks, device graph
// order, whether the head computes the entropy, what is read back each step), `compile --emit plan`,
// the groups view and the torch engine. It walks the CSE'd DAG (each node once, children first).
// No TensorFlow.js here: `check`/`compile` use it too.
import type { GroupReduceNode, IrExpr, Objective, ScorerCall, TokenQuantity } from '../ir/nodes.js';
import { rankKey, scorerKey } from '../ir/keys.js';
import { children } from '../ir/walk.js';
import type { OnPolicyNeeds } from '../language/on-policy.js';
import { sampleSettings } from '../language/on-policy-settings.js';

/** Per-token inputs a step must supply on the host (for masks) or as tensors (for the loss graph). */
export interface Needs {
  ce: boolean;
  entropy: boolean;
  refCe: boolean;
  reward: boolean;
  advantage: boolean;
  position: boolean;
  text: boolean;
  /** Static scorer calls whose per-token scores are read, by scorer key. */
  staticScorers: Map<string, ScorerCall>;
  /** Dynamic scorer calls read (computed from the step's own detached ce / entropy / ref_ce). */
  dynamicScorers: Map<string, ScorerCall>;
  /** `per corpus` ranks: their thresholds come from the precompute pass. */
  corpusRanks: boolean;
}

/** A `per corpus` rank whose threshold the precompute pass must supply, keyed by `rankKey`. */
export interface CorpusRank {
  key: string;
  scorer: ScorerCall;
  direction: 'top' | 'bottom';
  amount: number;
}

/** What the precompute pass (src/groupers/) must supply before training: static scores, ref ce, thresholds. */
export interface ScoreNeeds {
  /** Static scorer calls by scorer key (`scorerKey`, e.g. `tfidf(smooth = true, sublinear = false)`). */
  scorers: ReadonlyMap<string, ScorerCall>;
  /** The reference model's per-token ce (ref_ce, excess, excess_loss()). */
  refCe: boolean;
  corpusRanks: readonly CorpusRank[];
}

export interface ObjectiveAnalysis {
  /**
   * Mask-typed nodes used by a non-mask parent (reduction restrictions, `where` conditions, count
   * and cvar masks): evaluated on the host on detached values, uploaded as float tensors.
   */
  masks: IrExpr[];
  /** What the masks read (detached). */
  host: Needs;
  /** What the device graph reads (ce always: it is the reported `ce` and carries the gradient). */
  device: Needs;
  /** The head computes the entropy as well as ce (the loss or a mask reads it). */
  headEntropy: boolean;
  /** Group reductions in the loss, in post-order; dro ones carry training state. */
  groupReductions: GroupReduceNode[];
  /** Device-graph nodes in evaluation order (children first), masks excluded (they are host inputs). */
  deviceOrder: IrExpr[];
  /** Host-mask subtrees' nodes in evaluation order (group selectors included). */
  hostOrder: IrExpr[];
  /** What the precompute pass supplies (host and device reads together). */
  scores: ScoreNeeds;
  /** Every distinct scorer call (static first, then dynamic), for plans and the groups view. */
  scorers: ScorerCall[];
  /** A reference model must be loaded: ref_ce or excess is read, or excess_loss() ranks. */
  reference: boolean;
  /** Some group selector reads the model (ce, p, logp, entropy, excess, a dynamic scorer). */
  selectorsNeedModel: boolean;
  /** Per step, values read back from the device for the host masks (ce, entropy): each a sync. */
  syncs: Array<'ce' | 'entropy'>;
  /** Training state a checkpoint carries: the group count of each Group DRO reduction, in order. */
  droGroups: number[];
  /** Group names in partition order, `rest` last; empty without groups. */
  groupNames: string[];
  /** Things no engine can run, as messages (a `per corpus` rank whose amount is not a constant). */
  problems: string[];
  /** `sample { }` and `reward = …`: each step samples its responses from the model (src/language/on-policy.ts). */
  onPolicy?: OnPolicyNeeds;
}

/** The analysis under the name the pipeline uses. */
export type Analysis = ObjectiveAnalysis;

function emptyNeeds(): Needs {
  return {
    ce: false, entropy: false, refCe: false, reward: false, advantage: false, position: false, text: false,
    staticScorers: new Map(), dynamicScorers: new Map(), corpusRanks: false,
  };
}

function noteToken(needs: Needs, q: TokenQuantity): void {
  if (q === 'ce' || q === 'logp' || q === 'p') needs.ce = true;
  else if (q === 'excess') needs.ce = needs.refCe = true;
  else if (q === 'entropy') needs.entropy = true;
  else if (q === 'ref_ce') needs.refCe = true;
  else if (q === 'reward') needs.reward = true;
  else if (q === 'advantage') needs.advantage = true;
  else needs.position = true;
}

function noteScorer(needs: Needs, s: ScorerCall): void {
  const key = scorerKey(s);
  if (s.kind === 'static') {
    needs.staticScorers.set(key, s);
    return;
  }
  needs.dynamicScorers.set(key, s);
  if (s.name === 'loss') needs.ce = true;
  else if (s.name === 'entropy') needs.entropy = true;
  else needs.ce = needs.refCe = true;
}

export function analyzeObjective(o: Objective): ObjectiveAnalysis {
  const host = emptyNeeds();
  const device = emptyNeeds();
  device.ce = true;
  const masks: IrExpr[] = [];
  const groupReductions: GroupReduceNode[] = [];
  const deviceOrder: IrExpr[] = [];
  const hostOrder: IrExpr[] = [];
  const deviceSeen = new Set<IrExpr>();
  const hostSeen = new Set<IrExpr>();
  const paramValue = (name: string) => o.params.find((p) => p.name === name)?.value;

  // Host side: a mask subtree, with group references expanded to every selector (first-match
  // membership reads all of them) and params to their values.
  let selectorsVisited = false;
  const visitHost = (n: IrExpr): void => {
    if (hostSeen.has(n)) return;
    hostSeen.add(n);
    for (const c of children(n)) visitHost(c);
    if (n.op === 'param') {
      const v = paramValue(n.name);
      if (v !== undefined) visitHost(v);
    }
    if (n.op === 'group' && !selectorsVisited) {
      selectorsVisited = true;
      for (const g of o.partition.groups) visitHost(g.selector);
    }
    if (n.op === 'token') noteToken(host, n.name);
    if (n.op === 'scores' || n.op === 'rank') noteScorer(host, n.scorer);
    if (n.op === 'rank' && n.scope === 'corpus') host.corpusRanks = true;
    if (n.op === 'regex') host.text = true;
    hostOrder.push(n);
  };

  const visitDevice = (n: IrExpr): void => {
    if (deviceSeen.has(n)) return;
    deviceSeen.add(n);
    if (n.type === 'mask') {
      masks.push(n);
      visitHost(n);
      return;
    }
    // Params, schedules and the clock are host scalars (one number a step), leaves of the device graph.
    const hostScalar = n.op === 'param' || n.op === 'schedule' || n.op === 'step' || n.op === 'progress';
    // A group reduction's rate (temperature, dro step) and cvar's fraction are host scalars too.
    const deviceChildren = n.op === 'groups' ? n.terms : n.op === 'cvar' ? children(n).filter((c) => c !== n.fraction) : hostScalar ? [] : children(n);
    for (const c of deviceChildren) visitDevice(c);
    if (n.op === 'token') noteToken(device, n.name);
    if (n.op === 'scores') noteScorer(device, n.scorer);
    if (n.op === 'groups') groupReductions.push(n);
    deviceOrder.push(n);
  };
  visitDevice(o.loss);
  // Metrics report every group's token count and mean: the partition is needed whenever groups exist.
  if (o.partition.groups.length > 0 && !selectorsVisited) {
    selectorsVisited = true;
    for (const g of o.partition.groups) visitHost(g.selector);
  }
  const scores = scoreNeeds(o, hostOrder, [host, device]);
  const scorers = [...scoreCalls(o, [...hostOrder, ...deviceOrder]).values()];
  const staticScorers = scorers.filter((s) => s.kind === 'static');
  const dynamicScorers = scorers.filter((s) => s.kind === 'dynamic');
  const reference = scores.refCe || o.requires.reference;
  const onPolicy = onPolicyNeeds(o);
  const syncs: Array<'ce' | 'entropy'> = [...(host.ce ? ['ce' as const] : []), ...(host.entropy ? ['entropy' as const] : [])];
  return {
    masks, host, device, headEntropy: host.entropy || device.entropy, groupReductions, deviceOrder, hostOrder,
    scores: scores.needs, scorers: [...staticScorers, ...dynamicScorers], reference,
    selectorsNeedModel: o.partition.groups.some((g) => readsModel(g.selector)),
    syncs, droGroups: groupReductions.filter((g) => g.fn === 'dro').map((g) => g.terms.length),
    groupNames: groupNamesOf(o), problems: scores.problems,
    ...(onPolicy === undefined ? {} : { onPolicy }),
  };
}

/** Distinct scorer calls of the visited nodes and of the partition plan, by key, first seen first. */
function scoreCalls(o: Objective, nodes: readonly IrExpr[]): Map<string, ScorerCall> {
  const found = new Map<string, ScorerCall>();
  for (const s of o.partition.scorers) found.set(scorerKey(s), s);
  for (const n of nodes) if ((n.op === 'scores' || n.op === 'rank') && !found.has(scorerKey(n.scorer))) found.set(scorerKey(n.scorer), n.scorer);
  return found;
}

function scoreNeeds(o: Objective, hostOrder: readonly IrExpr[], reads: readonly Needs[]): { needs: ScoreNeeds; problems: string[]; refCe: boolean } {
  const scorers = new Map<string, ScorerCall>();
  for (const r of reads) for (const [k, s] of r.staticScorers) scorers.set(k, s);
  // excess_loss() is a dynamic scorer that reads the reference ce.
  let refCe = reads.some((r) => r.refCe);
  const corpusRanks = new Map<string, CorpusRank>();
  const problems: string[] = [];
  for (const n of hostOrder) {
    if (n.op !== 'rank' || n.scope !== 'corpus') continue;
    const amount = constantValue(o, n.amount);
    if (amount === undefined) {
      problems.push(`${n.span.file}:${n.span.start.line}:${n.span.start.col}: a \`per corpus\` rank needs a constant amount (its threshold is computed once, before training)`);
      continue;
    }
    if (n.scorer.kind === 'static') scorers.set(scorerKey(n.scorer), n.scorer);
    const key = rankKey(n, amount);
    corpusRanks.set(key, { key, scorer: n.scorer, direction: n.direction, amount });
  }
  refCe ||= [...reads.flatMap((r) => [...r.dynamicScorers.values()])].some((s) => s.name === 'excess_loss');
  return { needs: { scorers, refCe, corpusRanks: [...corpusRanks.values()] }, problems, refCe };
}

/** A number constant, or a param whose value is one (params may be overridden with --param). */
export function constantValue(o: Objective, e: IrExpr, depth = 0): number | undefined {
  if (e.op === 'const') return e.value;
  if (e.op === 'param' && depth < 16) {
    const p = o.params.find((q) => q.name === e.name);
    return p === undefined ? undefined : constantValue(o, p.value, depth + 1);
  }
  return undefined;
}

/** Whether a selector reads the model: a dynamic scorer, or ce, p, logp, entropy, excess. */
export function readsModel(selector: IrExpr): boolean {
  const seen = new Set<IrExpr>();
  const visit = (n: IrExpr): boolean => {
    if (seen.has(n)) return false;
    seen.add(n);
    if ((n.op === 'scores' || n.op === 'rank') && n.scorer.kind === 'dynamic') return true;
    if (n.op === 'token' && ['ce', 'logp', 'p', 'entropy', 'excess'].includes(n.name)) return true;
    return children(n).some(visit);
  };
  return visit(selector);
}


/** The partition's group names: declared groups in order, then `rest`; none when nothing is declared. */
export function groupNamesOf(o: Objective): string[] {
  return o.partition.groups.length === 0 ? [] : [...o.partition.groups.map((g) => g.name), 'rest'];
}

/** What on-policy training needs, or undefined for training on fixed data (the checker requires both parts together). */
export function onPolicyNeeds(o: Objective): OnPolicyNeeds | undefined {
  const block = o.settings.sample;
  if (o.reward === undefined || block === undefined) return undefined;
  return { sample: sampleSettings(block), reward: o.reward };
}
