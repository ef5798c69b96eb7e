// `sftgoc compile --emit plan`: how a compiled objective will execute, without loading a model, the
// data or TensorFlow.js (this file must never import tfjs: `compile` stays fast). The plan lists
//   precompute  the static scorers (with what their cache key hashes) and the reference ce;
//   head        the fused linear + cross-entropy head, its chunk size, and whether it computes the
//               entropy as well as ce;
//   per step    the host-side masks (selectors, comparisons, the partition), evaluated on detached
//               values, then the device graph in evaluation order after CSE, with training state
//               and the host reads a step makes;
//   backend     what train.backend names, resolved only at run time.
// The JSON form carries the same facts.
import type { IrExpr, Objective, ReduceNode } from '../ir/nodes.js';
import { dispatch, type IrTable } from '../ir/table.js';
import { formatNumber, formatScorer, printExpr } from '../ir/print.js';
import { analyzeObjective, groupNamesOf, type ObjectiveAnalysis } from '../analysis/index.js';
import { AUTO_ORDER } from '../backend/names.js';
import { DEFAULT_HEAD_CHUNK } from '../head/chunk-size.js';
import { compileLinearLoss } from './linear-form.js';
import type { OnPolicyNeeds, SampleSettings } from '../language/on-policy.js';
import { rewardText } from '../language/on-policy-settings.js';

export interface PlanJson {
  objective: string;
  file: string;
  precompute: {
    scorers: Array<{ key: string; cacheKey: string }>;
    referenceCe: boolean;
    corpusThresholds: string[];
  };
  head: { kind: 'fused'; chunkSize: number; computes: string[]; rows: string };
  step: {
    hostReads: string[];
    masks: Array<{ id: string; expr: string }>;
    partition: string[] | null;
    device: Array<{ id: string; type: string; op: string }>;
    /** The loss is linear in ce (linear-form.ts): the device runs it as one op, not node by node. */
    linearInCe: boolean;
    state: string[];
    syncs: string[];
  };
  backend: { request: string; resolution: string };
  /** The OpenBLAS kernel set the BLAS paths would ask for on this machine (backend/blas/coretype.ts); absent when not asked. */
  blasKernels?: string;
  /** The element-wise kernels a wasm-blas run would take here (src/backend/native-kernels/level.ts). */
  elementKernels?: string;
  /** How the torch engine's CPU children allocate (util/malloc-env.ts), as this environment would have it. */
  torchAllocator?: string;
  /** `sample { }` and `reward`: what happens before each update (src/language/on-policy.ts). */
  onPolicy?: { sample: SampleSettings; reward: string; steps: string[] };
  /** Where each part runs under each engine (`run --engine`; tfjs is the default). */
  engines: { default: string; tfjs: string[]; torch: string[] };
}

export interface ExecutionPlan {
  text: string;
  json: PlanJson;
}

const TOKEN_TEXT: Record<string, string> = {
  ce: 'ce (head)', entropy: 'entropy (head)', logp: 'logp = -ce', p: 'p = exp(-ce)', excess: 'excess = ce - ref_ce',
  ref_ce: 'ref_ce (precomputed)', position: 'position', reward: 'reward (data)', advantage: 'advantage (data)',
};

const AUTO = `auto: first of ${AUTO_ORDER.join(', ')} that loads`;

export function executionPlan(o: Objective, options: { headChunk?: number; blasKernels?: string; elementKernels?: string; torchAllocator?: string } = {}): ExecutionPlan {
  const a = analyzeObjective(o);
  const json = planJson(o, a, options.headChunk ?? DEFAULT_HEAD_CHUNK);
  if (options.blasKernels !== undefined) json.blasKernels = options.blasKernels;
  if (options.elementKernels !== undefined) json.elementKernels = options.elementKernels;
  if (options.torchAllocator !== undefined) json.torchAllocator = options.torchAllocator;
  return { json, text: planText(json) };
}

function planJson(o: Objective, a: ObjectiveAnalysis, chunkSize: number): PlanJson {
  const staticScorers = new Map([...a.host.staticScorers, ...a.device.staticScorers]);
  const refCe = a.host.refCe || a.device.refCe;
  const corpus = a.hostOrder.filter((n): n is Extract<IrExpr, { op: 'rank' }> => n.op === 'rank' && n.scope === 'corpus');

  const maskId = new Map<IrExpr, string>(a.masks.map((m, i) => [m, `m${i}`]));
  const deviceId = new Map<IrExpr, string>(a.deviceOrder.map((n, i) => [n, `%${i}`]));
  const ref = (n: IrExpr) => maskId.get(n) ?? deviceId.get(n) ?? printExpr(n);
  const restricted = (arg: IrExpr, mask: IrExpr | undefined) => (mask === undefined ? ref(arg) : `${ref(arg)}[${ref(mask)}]`);
  const restrictedText = (n: ReduceNode) => `${n.op} ${restricted(n.arg, n.mask)}`;
  const hostScalarText = (n: IrExpr) => `${n.op} (host scalar)`;
  // Masks print in the surface syntax (they are host inputs m0, m1, … of the device graph).
  const DESCRIBE = {
    const: (n) => `const ${formatNumber(n.value)}`,
    param: (n) => `param ${n.name} (host scalar)`,
    schedule: (n) => `${printExpr(n)} (host scalar)`,
    step: hostScalarText, progress: hostScalarText,
    token: (n) => (a.onPolicy !== undefined && (n.name === 'reward' || n.name === 'advantage') ? `${n.name} (of the sampled responses)` : TOKEN_TEXT[n.name] ?? n.name),
    unary: (n) => `${n.fn} ${ref(n.arg)}`,
    binary: (n) => `${n.fn} ${ref(n.left)} ${ref(n.right)}`,
    clip: (n) => `clip ${ref(n.arg)} ${ref(n.lo)} ${ref(n.hi)}`,
    where: (n) => `where ${ref(n.cond)} ${ref(n.then)} ${ref(n.else)}`,
    scores: (n) => `scores ${formatScorer(n.scorer, true)}${n.scorer.kind === 'dynamic' ? ' (detached)' : ''}`,
    mean: restrictedText, sum: restrictedText, seqmean: restrictedText,
    count: (n) => `count ${ref(n.mask)} (host)`,
    cvar: (n) => `cvar ${restricted(n.arg, n.mask)} ${printExpr(n.fraction)}`,
    groups: (n) => {
      const extra = n.rate === undefined ? '' : ` ${n.fn === 'dro' ? 'step' : 'temperature'} = ${printExpr(n.rate)}`;
      return `${n.fn === 'mean' ? 'groupmean' : n.fn}(${n.terms.map(ref).join(', ')})${extra}`;
    },
    compare: printExpr, and: printExpr, or: printExpr, not: printExpr, rank: printExpr, regex: printExpr, group: printExpr,
  } satisfies IrTable<string>;
  const describe = (n: IrExpr): string => dispatch(DESCRIBE, n);

  const hostReads: string[] = [];
  if (a.host.ce) hostReads.push('ce (read back from the device)');
  if (a.host.entropy) hostReads.push('entropy (read back from the device)');
  if (a.host.refCe) hostReads.push('ref_ce');
  if (a.host.position) hostReads.push('position');
  if (a.host.reward) hostReads.push('reward');
  if (a.host.advantage) hostReads.push('advantage');
  if (a.host.text) hostReads.push('token text');
  for (const key of a.host.staticScorers.keys()) hostReads.push(`scores ${key}`);

  const state: string[] = [];
  const syncs: string[] = [];
  if (a.host.ce || a.host.entropy) syncs.push('selectors read the step\'s own values: ce/entropy are read back before the masks');
  a.groupReductions.forEach((g) => {
    if (g.fn === 'dro') {
      state.push(`Group DRO weights q over ${g.terms.length} groups, start uniform, updated on the first micro-batch of each update (training only), checkpointed`);
      syncs.push('dro reads the group means back to update q');
    }
  });
  if (a.deviceOrder.some((n) => n.op === 'cvar')) syncs.push('cvar reads its values back to choose the top tokens');

  const names = groupNamesOf(o);
  return {
    objective: o.name,
    file: o.file,
    precompute: {
      scorers: [...staticScorers].map(([key, call]) => ({
        key,
        cacheKey: `cache/${call.name}-<sha256(${JSON.stringify(key)}, tokenizer file, ${call.name === 'llmlingua2' ? 'model directory, ' : ''}train and eval samples)>.safetensors`,
      })),
      referenceCe: refCe,
      corpusThresholds: corpus.map((n) => printExpr(n)),
    },
    head: {
      kind: 'fused',
      chunkSize,
      computes: a.headEntropy ? ['ce', 'entropy'] : ['ce'],
      rows: 'the loss tokens only (gathered from the padded batch)',
    },
    step: {
      hostReads,
      masks: a.masks.map((m) => ({ id: maskId.get(m)!, expr: printExpr(m) })),
      partition: names.length === 0 ? null : names.map((n, i) => (i < o.partition.groups.length ? `${n} = ${printExpr(o.partition.groups[i]!.selector)}` : 'rest = the others')),
      device: a.deviceOrder.map((n) => ({ id: deviceId.get(n)!, type: n.type === 'number' ? 'scalar' : n.type, op: describe(n) })),
      linearInCe: compileLinearLoss(o.loss) !== undefined,
      state,
      syncs,
    },
    backend: backendOf(o),
    ...(a.onPolicy === undefined ? {} : { onPolicy: onPolicyPlan(a.onPolicy) }),
    engines: enginesOf(a, refCe || staticScorers.size > 0),
  };
}

function onPolicyPlan(p: OnPolicyNeeds): NonNullable<PlanJson['onPolicy']> {
  const s = p.sample;
  return {
    sample: s,
    reward: rewardText(p.reward),
    steps: [
      'the step\'s batch of prompts (data.train in `prompts` format), in the seeded shuffle order',
      `sample n = ${s.n} responses per prompt (no gradient, key/value cache; temperature ${s.temperature}, top_p ${s.topP}, at most ${s.maxNew} new tokens), one seeded stream per (step, prompt, response)`,
      `reward = ${rewardText(p.reward)} on each response's text`,
      'advantage = (reward − mean) / (std + 1e-6) within the prompt\'s n responses (sample std, ÷ n−1)',
      'prompt + response become the step\'s batch · n samples (loss on the response); the update below runs on them',
      'rank 0 appends the rollouts to RUN/rollouts.jsonl',
    ],
  };
}

function enginesOf(a: ObjectiveAnalysis, precomputes: boolean): PlanJson['engines'] {
  return {
    default: 'tfjs',
    tfjs: ['everything in this process on the backend below: precompute, model, head, masks, loss, AdamW, checkpoints'],
    torch: [
      `in sftgoc (TensorFlow.js): ${precomputes ? 'the precompute above, then ' : ''}tokenized samples${precomputes ? ', their precomputed values' : ''} and each epoch's order exported to RUN/torch/input.json`,
      `in the generated Python program (RUN/torch/, \`compile --emit torch\`): model forward, head (${a.headEntropy ? 'ce and entropy' : 'ce'}), masks on detached float64 values, loss in float32, AdamW, evaluations, checkpoints, final/`,
      'device: --device auto picks CUDA when torch sees a GPU, else the CPU',
      '--nproc N: N processes; micro-batch i of each update runs on process i mod N, gradients summed with all_reduce (gloo on CPU, NCCL on CUDA)',
    ],
  };
}

function backendOf(o: Objective): { request: string; resolution: string } {
  const request = o.settings.train?.backend;
  const name = typeof request === 'string' ? request : 'auto';
  return { request: name, resolution: name === 'auto' ? AUTO : `${name} (an error at run time if it does not load)` };
}

function planText(p: PlanJson): string {
  const lines = [`plan ${p.objective}`, '', 'precompute (once before training, cached in the run directory\'s cache/)'];
  if (p.precompute.scorers.length === 0) lines.push('  static scorers: none');
  for (const s of p.precompute.scorers) lines.push(`  static scorer ${s.key}`, `    cache key: ${s.cacheKey}`);
  lines.push(`  reference ce: ${p.precompute.referenceCe ? 'the reference model over every sample, cached under cache/ref_ce-<sha256(model directory, tokenizer, samples)>' : 'not needed'}`);
  for (const c of p.precompute.corpusThresholds) lines.push(`  corpus threshold: ${c}`);
  lines.push('', 'head');
  lines.push(`  fused linear + cross-entropy, chunked over the vocabulary (${p.head.chunkSize} entries a chunk), never the full logits`);
  lines.push(`  rows: ${p.head.rows}`, `  computes: ${p.head.computes.join(' and ')}`);
  if (p.onPolicy !== undefined) {
    lines.push('', 'on-policy (before each update)');
    p.onPolicy.steps.forEach((step, i) => lines.push(`  ${i + 1}. ${step}`));
  }
  lines.push('', 'per step (each micro-batch)');
  if (p.step.masks.length > 0 || p.step.partition !== null) {
    lines.push('  host, on detached values (no gradient):');
    if (p.step.hostReads.length > 0) lines.push(`    reads: ${p.step.hostReads.join(', ')}`);
    if (p.step.partition !== null) lines.push(`    partition (first match): ${p.step.partition.join('; ')}`);
    for (const m of p.step.masks) lines.push(`    ${m.id} = ${m.expr}`);
    lines.push(p.step.linearInCe ? '    masks become the rows of weights below (no mask tensors)' : '    masks uploaded as float tensors');
  }
  lines.push('  device:');
  const width = Math.max(...p.step.device.map((d) => d.id.length));
  for (const d of p.step.device) lines.push(`    ${d.id.padEnd(width)} = ${d.op}  : ${d.type}`);
  lines.push(`    loss = ${p.step.device.at(-1)?.id ?? '?'}`);
  if (p.step.linearInCe) lines.push('    runs as one op: the loss is linear in ce (host rows of weights; a max over groups picks its row by argMax of the group means)');
  lines.push(`  state: ${p.step.state.length === 0 ? 'none' : p.step.state.join('; ')}`);
  lines.push(`  syncs: ${p.step.syncs.length === 0 ? 'none' : p.step.syncs.join('; ')}`);
  lines.push('', 'backend', `  ${p.backend.request === 'auto' ? p.backend.resolution : `${p.backend.request}: ${p.backend.resolution}`}`);
  if (p.blasKernels !== undefined) lines.push(`  BLAS kernels (wasm-blas, and torch on the CPU): ${p.blasKernels}`);
  if (p.elementKernels !== undefined) lines.push(`  element-wise kernels (wasm-blas): ${p.elementKernels}`);
  if (p.torchAllocator !== undefined) lines.push(`  allocator (torch on the CPU): ${p.torchAllocator}`);
  lines.push('', `engine (run --engine; default ${p.engines.default})`, '  tfjs:', ...p.engines.tfjs.map((l) => `    ${l}`), '  torch:', ...p.engines.torch.map((l) => `    ${l}`));
  return lines.join('\n') + '\n';
}
