// prepareScores: the precompute pass of LANGUAGE.md §6. Before training, every static scorer of the
// objective is computed once over the training and eval samples (eval samples use training
// statistics: tfidf's idf, frequency's counts), and so is the reference model's ce when the
// objective needs it (`ref_ce`, `excess`, `excess_loss()`). With a cache directory each result is
// stored under a content hash (cache.ts) and a later run with the same data, tokenizer and
// arguments loads it instead, saying so. Problems (a missing column, an unreadable model directory)
// come back as messages naming what is wrong; nothing is thrown for bad input.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { BUNDLED_LLMLINGUA2 } from '../language/builtins.js';
import { packageRoot } from '../util/package-root.js';
import type { Sample } from '../data/types.js';
import type { Objective, ScorerCall } from '../ir/nodes.js';
import { formatScorer } from '../ir/print.js';
import { keep, scorerKey } from '../ir/reference-eval.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { cacheFile, cacheKey, loadCached, saveCached, type SplitScores } from './cache.js';
import { columnScores, columnsPresent, hasColumn } from './column.js';
import { frequencyScores } from './frequency.js';
import { llmlingua2Scores } from './llmlingua2/scorer.js';
import { analyze, type Analysis, type CorpusRank } from '../analysis/index.js';
import { randomScores } from './random.js';
import { referenceTokenizerProblem } from './reference-match.js';
import { REF_CE_KEY, ScoreStore } from './store.js';
import { tfidfScores } from './tfidf.js';
import { tokenTexts } from './token-text.js';

export interface PrepareSamples {
  train: readonly Sample[];
  eval: readonly Sample[];
}

export interface PrepareOptions {
  tokenizer: Tokenizer;
  /** The run directory's cache/ folder; undefined (or '') computes without caching. */
  cacheDir?: string;
  /** Progress and cache notices (`tfidf(): cached (key 3f2a…)`). */
  log?: (line: string) => void;
  /** Relative model paths in scorer arguments resolve against this; default: the objective file's folder. */
  baseDir?: string;
  /** The reference model directory (RunConfig.reference.path); default: the bundled assets/default/model. */
  referenceDir?: string;
}

export type PrepareResult = { ok: true; store: ScoreStore; messages: string[] } | { ok: false; errors: string[] };

function label(s: ScorerCall): string {
  const short = formatScorer(s);
  return short === `${s.name}()` ? s.name : short;
}

/** What to precompute: the objective's static scorer calls, whether it reads ref_ce, its `per corpus` ranks. */
export interface ScoreNeedsSpec {
  scorers: readonly ScorerCall[];
  refCe: boolean;
  corpusRanks: readonly CorpusRank[];
  /** For messages: `objective 'NAME'`. */
  objectiveName?: string;
}

/** The precompute pass's part of the objective's analysis (src/analysis/). */
export function needsOf(objective: Objective, analysis: Analysis = analyze(objective)): ScoreNeedsSpec {
  return {
    scorers: [...analysis.scores.scorers.values()],
    refCe: analysis.scores.refCe,
    corpusRanks: analysis.scores.corpusRanks,
    objectiveName: objective.name,
  };
}

export async function prepareScores(objective: Objective, samples: PrepareSamples, options: PrepareOptions): Promise<PrepareResult> {
  return prepareNeeds(needsOf(objective), samples, { ...options, baseDir: options.baseDir ?? dirname(resolve(objective.file)) });
}

/** As prepareScores, from an explicit list of needs (the executor's ScoreSource interface gives those). */
export async function prepareNeeds(needs: ScoreNeedsSpec, samples: PrepareSamples, options: PrepareOptions): Promise<PrepareResult> {
  const log = options.log ?? (() => undefined);
  const baseDir = options.baseDir ?? process.cwd();
  const statics = [...new Map(needs.scorers.filter((s) => s.kind === 'static').map((s) => [scorerKey(s), s])).values()];
  const messages: string[] = [];
  const say = (line: string) => {
    messages.push(line);
    log(line);
  };

  // Check inputs first, so every problem is reported at once and nothing is computed in vain.
  const errors = checkNeeds(needs, samples, options);
  const referenceDir = needs.refCe ? options.referenceDir : undefined;
  if (errors.length > 0) return { ok: false, errors };

  const keys = [...statics.map(scorerKey), ...(referenceDir !== undefined ? [REF_CE_KEY] : [])];
  const texts = (s: Sample) => tokenTexts(s, options.tokenizer);
  const computed = new Map<string, SplitScores>();

  const cached = async (name: string, shown: string, modelDirs: string[], compute: () => Promise<SplitScores>): Promise<SplitScores> => {
    const started = Date.now();
    if (options.cacheDir === undefined || options.cacheDir === '') return compute();
    const key = cacheKey({ ...samples, tokenizerSource: options.tokenizer.source, scorer: name, modelDirs });
    const file = cacheFile(options.cacheDir, shown, key);
    const hit = await loadCached(file, samples.train, samples.eval);
    if (hit !== undefined) {
      say(`${shown}: cached (key ${key})`);
      return hit;
    }
    const scores = await compute();
    await saveCached(file, scores, { scorer: name, key });
    say(`${shown}: computed in ${((Date.now() - started) / 1000).toFixed(1)} s (key ${key})`);
    return scores;
  };

  try {
    for (const s of statics) {
      const key = scorerKey(s);
      const modelDirs = s.name === 'llmlingua2' ? [modelDirOf(baseDir, String(s.args.model))] : [];
      computed.set(key, await cached(key, label(s), modelDirs, () => computeStatic(s, samples, baseDir)));
    }
    if (referenceDir !== undefined) {
      const dir = referenceDir;
      computed.set(REF_CE_KEY, await cached(REF_CE_KEY, REF_CE_KEY, [dir], () => referenceCe(dir, samples, options.tokenizer)));
    }
  } catch (e) {
    return { ok: false, errors: [(e as Error).message] };
  }

  const thresholds: Record<string, number> = {};
  for (const rank of needs.corpusRanks) {
    const scores = computed.get(scorerKey(rank.scorer));
    if (scores !== undefined) thresholds[rank.key] = corpusThreshold(rank, scores.train, samples.train);
  }
  const store = new ScoreStore(keys, thresholds, texts, [...samples.train, ...samples.eval]);
  for (const [key, scores] of computed) {
    store.set(key, samples.train, scores.train);
    store.set(key, samples.eval, scores.eval);
  }
  return { ok: true, store, messages };
}

/**
 * The problems prepareNeeds would report before computing anything (a column no record has, a
 * missing model directory or reference): cheap, so a command can check before starting TensorFlow.js.
 */
export function checkNeeds(needs: ScoreNeedsSpec, samples: PrepareSamples, options: Pick<PrepareOptions, 'baseDir' | 'referenceDir'> & { tokenizer?: Tokenizer }): string[] {
  const baseDir = options.baseDir ?? process.cwd();
  const statics = needs.scorers.filter((s) => s.kind === 'static');
  const errors: string[] = [];
  for (const s of statics) {
    if (s.name === 'column' && !hasColumn(samples.train, String(s.args.field))) {
      const present = columnsPresent(samples.train);
      errors.push(
        `column(${JSON.stringify(s.args.field)}): no training record has scores.${String(s.args.field)}` +
          (present.length > 0 ? `; the records carry ${present.map((f) => `scores.${f}`).join(', ')}` : '; the records carry no span scores'),
      );
    }
    if (s.name === 'llmlingua2' && !existsSync(join(modelDirOf(baseDir, String(s.args.model)), 'config.json'))) {
      const tried = [...new Set([resolve(baseDir, String(s.args.model)), resolve(String(s.args.model))])];
      errors.push(`llmlingua2(model = ${JSON.stringify(s.args.model)}): no config.json in ${tried.join(' or ')} (expected a Hugging Face token-classification model directory)`);
    }
  }
  if (needs.refCe) {
    // No fallback: a model is never its own reference unless the file says `path = "self"` (E0508 at check time).
    const referenceDir = options.referenceDir;
    if (referenceDir === undefined || !existsSync(join(referenceDir, 'config.json'))) {
      errors.push(
        referenceDir === undefined
          ? `${needs.objectiveName !== undefined ? `objective '${needs.objectiveName}'` : 'the objective'} uses ref_ce (excess, excess_loss()) but gives no reference model: add reference { train = "FILE.sftgo" }, reference { path = "DIR" } or reference { path = "self" }`
          : `reference model ${referenceDir} has no config.json (expected a Hugging Face model directory)`,
      );
    } else if (options.tokenizer !== undefined) {
      const mismatch = referenceTokenizerProblem(options.tokenizer, referenceDir);
      if (mismatch !== undefined) errors.push(mismatch);
    }
  }
  return errors;
}

/**
 * A scorer's model directory: `std/llmlingua2` (llmlingua2()'s default) is the encoder bundled in
 * assets/llmlingua2/; any other path is relative to the objective file's folder when it exists
 * there, else to the working directory (so a checkpoint downloaded next to where sftgoc runs is
 * found, not looked for inside the installed package).
 */
export function modelDirOf(baseDir: string, path: string): string {
  if (path === BUNDLED_LLMLINGUA2) return join(packageRoot, 'assets', 'llmlingua2');
  const local = resolve(baseDir, path);
  return existsSync(local) ? local : existsSync(resolve(path)) ? resolve(path) : local;
}

async function computeStatic(s: ScorerCall, samples: PrepareSamples, baseDir: string): Promise<SplitScores> {
  const both = (f: (list: readonly Sample[]) => Float32Array[]): SplitScores => ({ train: f(samples.train), eval: f(samples.eval) });
  switch (s.name) {
    case 'tfidf': {
      const args = { smooth: s.args.smooth !== false, sublinear: s.args.sublinear === true };
      return both((list) => tfidfScores(samples.train, list, args));
    }
    case 'frequency':
      return both((list) => frequencyScores(samples.train, list));
    case 'random':
      return both((list) => randomScores(list, Number(s.args.seed ?? 0)));
    case 'column':
      return both((list) => columnScores(list, String(s.args.field)));
    case 'llmlingua2': {
      const options = { dir: modelDirOf(baseDir, String(s.args.model)), aggregate: s.args.aggregate === 'first' ? 'first' as const : 'mean' as const };
      return { train: await llmlingua2Scores(samples.train, options), eval: await llmlingua2Scores(samples.eval, options) };
    }
    default:
      throw new Error(`${s.name}() is not a static scorer`);
  }
}

async function referenceCe(dir: string, samples: PrepareSamples, tokenizer: Tokenizer): Promise<SplitScores> {
  // Loaded here: the model layer pulls in TensorFlow.js, which objectives without a reference never need.
  const { loadModel } = await import('../model/index.js');
  const { modelTokenValues } = await import('./model-ce.js');
  const model = await loadModel(dir);
  try {
    if (model.config.vocabSize < tokenizer.vocabSize) throw new Error(`reference.path: ${dir} has ${model.config.vocabSize} embeddings but the tokenizer ${tokenizer.vocabSize} tokens`);
    const tooLong = [...samples.train, ...samples.eval].find((s) => s.ids.length > model.config.maxPositions);
    if (tooLong !== undefined) throw new Error(`${tooLong.source.file}:${tooLong.source.line}: ${tooLong.ids.length} tokens exceed the reference model's ${model.config.maxPositions} positions`);
    return { train: modelTokenValues(model, samples.train, tokenizer.padId).ce, eval: modelTokenValues(model, samples.eval, tokenizer.padId).ce };
  } finally {
    model.dispose();
  }
}

/**
 * The corpus-wide threshold of `top P% per corpus`: the score of the ceil(P·n)-th best of the n
 * training loss tokens (the selector then takes scores ≥ it, so ties at the threshold all join).
 * `bottom` mirrors it. Selecting nothing gives +∞ (top) or −∞ (bottom).
 */
export function corpusThreshold(rank: CorpusRank, scores: readonly Float32Array[], train: readonly Sample[]): number {
  const all: number[] = [];
  train.forEach((s, i) => {
    for (let t = 0; t < s.ids.length; t++) if (s.lossMask[t]) all.push(scores[i]![t]!);
  });
  const k = keep(rank.amount, all.length);
  if (k === 0) return rank.direction === 'top' ? Infinity : -Infinity;
  all.sort((a, b) => (rank.direction === 'top' ? b - a : a - b));
  return all[k - 1]!;
}
