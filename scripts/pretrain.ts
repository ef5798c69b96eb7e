// Pretrains the bundled base model (assets/default/model/): a small gpt2 trained from scratch on
// assets/default/corpus.txt with the project's own trainer (src/train, `loss = mean(ce)` over corpus
// blocks), so that the quickstart fine-tunes a model that already knows the invented world's prose.
//
//   npx tsx scripts/pretrain.ts [--minutes N | --steps N] [--out DIR] [--seed S] [--batch B] [--lr X]
//
// Deterministic given --steps: the initial weights, the held-out split and every epoch's shuffle
// come from the seed. With only --minutes the step count is estimated from a short timing run on
// this machine, and the count used is written to pretrain.json so the run can be repeated with
// --steps. Writes config.json, model.safetensors (F32), the tokenizer files and pretrain.json.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { initBackend } from '../src/backend/index.js';
import { packageRoot } from '../src/util/package-root.js';
import { loadTextCorpus } from '../src/data/index.js';
import { createModel, presetConfig, saveModel } from '../src/model/index.js';
import { formatTokenizerErrors, loadTokenizer } from '../src/tokenizer/index.js';
import { meanCe } from '../src/train/objective.js';
import { lineReporter } from '../src/train/reporter.js';
import { train, type TrainSettingsUsed } from '../src/train/trainer.js';
import { parsePretrainArgs, type PretrainArgs } from './pretrain/args.js';
import { splitHoldout } from './pretrain/holdout.js';

// The directory holding package.json, whether this runs under tsx or compiled in dist/.
const ROOT = packageRoot;
const ASSETS = join(ROOT, 'assets', 'default');
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];
/** Updates of the timing run that estimates seconds per update (the first, slower one is dropped). */
const TIMING_STEPS = 4;

function settingsFor(args: PretrainArgs, steps: number): TrainSettingsUsed {
  return {
    epochs: 1, steps, batch: args.batch, gradAccum: 1, lr: args.lr, lrSchedule: { kind: 'cosine', warmup: 0.05 },
    weightDecay: 0.01, eps: 1e-8, betas: [0.9, 0.98], clipGrad: 1.0, seed: args.seed, evalEvery: args.evalEvery, saveEvery: 0,
  };
}

async function main(): Promise<number> {
  const started = performance.now();
  const { args, errors } = parsePretrainArgs(process.argv.slice(2), join(ASSETS, 'model'));
  if (errors.length > 0) {
    for (const e of errors) console.error(`error: ${e}`);
    return 2;
  }
  const backend = await initBackend('wasm');
  console.log(`backend: ${backend.name}`);
  const tok = loadTokenizer(join(ASSETS, 'tokenizer'));
  if (!tok.ok) {
    console.error(formatTokenizerErrors(tok.errors));
    return 1;
  }
  const tokenizer = tok.tokenizer;
  const corpusFile = join(ASSETS, 'corpus.txt');
  const corpus = loadTextCorpus(corpusFile, { tokenizer, blockLen: args.blockLen });
  if (corpus.errors.length > 0) {
    for (const e of corpus.errors) console.error(`error: ${e.file}: ${e.message}`);
    return 1;
  }
  const { train: trainBlocks, heldOut } = splitHoldout(corpus.samples, args.holdoutEvery);
  const config = presetConfig('tiny', { vocabSize: tokenizer.vocabSize })!;
  config.maxPositions = args.blockLen;
  config.raw = { ...config.raw, sftgoc_preset: 'tiny', sftgoc_pretrained_on: 'assets/default/corpus.txt' };
  console.log(`corpus: ${corpus.stats.tokens} tokens in ${corpus.samples.length} blocks of ${args.blockLen}; ${trainBlocks.length} train, ${heldOut.length} held out`);

  let steps = args.steps;
  if (steps === 0) {
    const probe = createModel(config, args.seed);
    const timing = await train({ model: probe, objective: meanCe, train: trainBlocks, eval: [], padId: tokenizer.padId, settings: { ...settingsFor(args, TIMING_STEPS), evalEvery: 0 } });
    probe.dispose();
    const times = timing.history.map((m, i) => m.elapsed_s - (i > 0 ? timing.history[i - 1]!.elapsed_s : 0)).slice(1);
    const perStep = times.reduce((a, b) => a + b, 0) / times.length;
    // Evaluations take time too (a held-out pass is a few updates' worth); leave them 10%.
    steps = Math.max(10, Math.floor((args.minutes * 60 * 0.9) / perStep));
    console.log(`timing: ${perStep.toFixed(3)} s per update → ${steps} updates for ${args.minutes} minutes`);
  }

  const model = createModel(config, args.seed);
  // With only --steps the run is the same on any machine however slow; a time guard would cut it.
  const deadline = args.steps === 0 || args.minutesGiven ? performance.now() + args.minutes * 60_000 * 1.5 : Infinity;
  const outcome = await train({
    model, objective: meanCe, train: trainBlocks, eval: heldOut, padId: tokenizer.padId, settings: settingsFor(args, steps),
    reporter: lineReporter((line) => console.log(line)),
    // A guard for a loaded machine: stop (keeping the weights so far) well past the time budget.
    shouldStop: () => performance.now() > deadline,
  });
  if (outcome.status === 'diverged') {
    console.error(`error: pretraining diverged: ${outcome.message}`);
    model.dispose();
    return 3;
  }

  mkdirSync(args.out, { recursive: true });
  await saveModel(model, args.out, { dtype: 'F32', tokenIds: { bos: tokenizer.bosId, eos: tokenizer.eosId, pad: tokenizer.padId } });
  for (const f of TOKENIZER_FILES) copyFileSync(join(ASSETS, 'tokenizer', f), join(args.out, basename(f)));
  const evals = outcome.evals;
  const log = {
    command: `npx tsx scripts/pretrain.ts --steps ${outcome.step} --seed ${args.seed} --batch ${args.batch} --lr ${args.lr} --block-len ${args.blockLen} --holdout-every ${args.holdoutEvery} --eval-every ${args.evalEvery}`,
    status: outcome.status,
    backend: backend.name,
    corpus: relative(ROOT, corpusFile),
    corpus_tokens: corpus.stats.tokens,
    blocks: { block_len: args.blockLen, train: trainBlocks.length, held_out: heldOut.length, held_out_rule: `every ${args.holdoutEvery}th block` },
    model: { architecture: config.architecture, hidden: config.hiddenSize, layers: config.numLayers, heads: config.numHeads, positions: config.maxPositions, vocab: config.vocabSize, params: [...model.params.values()].reduce((n, v) => n + v.size, 0) },
    settings: settingsFor(args, steps),
    steps: outcome.step,
    planned_steps: steps,
    epochs: Number((outcome.history.at(-1)?.epoch ?? 0).toFixed(2)),
    held_out_ce_start: evals[0]?.step === 0 ? evals[0].ce : null,
    held_out_ce_final: evals.at(-1)?.ce ?? null,
    train_ce_final_10_mean: mean(outcome.history.slice(-10).map((m) => m.ce)),
    held_out_curve: evals.map((e) => ({ step: e.step, ce: Number(e.ce.toFixed(4)) })),
    wall_s: Math.round((performance.now() - started) / 100) / 10,
    created: new Date().toISOString(),
  };
  writeFileSync(join(args.out, 'pretrain.json'), JSON.stringify(log, null, 2) + '\n');
  console.log(`done: ${outcome.step} updates; held-out corpus ce ${log.held_out_ce_start?.toFixed(4) ?? "(not measured at step 0)"} → ${log.held_out_ce_final?.toFixed(4)}; ${log.wall_s}s; wrote ${args.out}`);
  model.dispose();
  return 0;
}

function mean(xs: number[]): number | null {
  return xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length;
}

process.exitCode = await main();
