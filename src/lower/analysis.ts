// What an objective needs at run time, read off its IR once before training: which values are
// host-side masks, which per-token quantities the device graph and the masks read, whether the head
// must compute the entropy, which scorers and reference values a step consumes, and the order of
// the device graph's nodes (post-order over the CSE'd DAG, each node once). No TensorFlow.js here:
// `compile --emit plan` uses it too.
import type { GroupReduceNode, IrExpr, Objective, ScorerCall, TokenQuantity } from '../ir/nodes.js';
import { scorerKey } from '../ir/reference-eval.js';
import { children } from '../ir/walk.js';

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
}

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
  return {
    masks, host, device, headEntropy: host.entropy || device.entropy, groupReductions, deviceOrder, hostOrder,
  };
}

/** Vocabulary entries per chunk of the fused head (src/head/): bounded memory for large vocabularies. */
export const DEFAULT_HEAD_CHUNK = 8192;

/** The partition's group names: declared groups in order, then `rest`; none when nothing is declared. */
export function groupNamesOf(o: Objective): string[] {
  return o.partition.groups.length === 0 ? [] : [...o.partition.groups.map((g) => g.name), 'rest'];
}
