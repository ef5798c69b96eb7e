// Loading what a run trains on: the tokenizer and the data, from the resolved RunConfig (the model
// is the engine's: src/train/initial-model.ts). Problems are returned as messages that name the
// file at fault (exit 1), never thrown past this module.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { emptyStats, formatDataError, loadDataset } from '../data/index.js';
import type { DatasetStats, Sample } from '../data/types.js';
import { formatTokenizerErrors, loadTokenizer, type Tokenizer } from '../tokenizer/index.js';
import type { RunConfig } from '../train/config.js';
import { loadPrompts, type PromptRecord } from '../data/prompts.js';
import type { OnPolicyNeeds } from '../language/on-policy.js';

/** Tokenizer files copied next to the weights in checkpoints and final/, where present. */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json', 'merges.txt', 'chat_template.jinja'];

export interface RunInputs {
  tokenizer: Tokenizer;
  tokenizerFiles: string[];
  train: Sample[];
  eval: Sample[];
  stats: { train: DatasetStats; eval?: DatasetStats };
  /** On-policy training: data.train's prompts (then `train` is empty). */
  prompts?: PromptRecord[];
}

export type InputsResult = { ok: true; inputs: RunInputs } | { ok: false; errors: string[] };

export function tokenizerDir(config: RunConfig): string {
  return config.model.tokenizer ?? config.model.path!;
}

export function loadRunInputs(config: RunConfig, options: { skipBadRecords: boolean; loadData?: boolean; onPolicy?: OnPolicyNeeds }): InputsResult {
  const dir = tokenizerDir(config);
  const tok = loadTokenizer(dir);
  if (!tok.ok) return { ok: false, errors: [formatTokenizerErrors(tok.errors)] };
  const tokenizer = tok.tokenizer;
  const tokenizerFiles = TOKENIZER_FILES.map((f) => join(dir, f)).filter((f) => existsSync(f));

  const errors: string[] = [];
  const data = { train: [] as Sample[], eval: [] as Sample[] };
  const stats: RunInputs['stats'] = { train: emptyStats() };
  let prompts: PromptRecord[] | undefined;
  if (options.loadData !== false) {
    const common = { tokenizer, format: config.data.format as 'auto', maxLen: config.data.maxLen, lossOn: config.data.lossOn as 'response', skipBadRecords: options.skipBadRecords, maxRecordBytes: config.data.maxRecordBytes };
    if (options.onPolicy !== undefined) {
      // On-policy: data.train holds the questions; a prompt plus max_new new tokens must fit data.max_len.
      const maxNew = options.onPolicy.sample.maxNew;
      if (maxNew >= config.data.maxLen) errors.push(`sample.max_new = ${maxNew} leaves no room for a prompt within data.max_len = ${config.data.maxLen}`);
      const loaded = loadPrompts(config.data.train, tokenizer, { format: config.data.format as 'auto', skipBadRecords: options.skipBadRecords, maxRecordBytes: config.data.maxRecordBytes, maxPromptTokens: Math.max(1, config.data.maxLen - maxNew) });
      errors.push(...loaded.errors.map(formatDataError));
      prompts = loaded.prompts;
      stats.train = { ...emptyStats(), records: loaded.stats.records, skipped: loaded.stats.skipped, samples: loaded.prompts.length };
      if (loaded.errors.length === 0 && loaded.prompts.length === 0) errors.push(`${config.data.train}: no prompts to sample responses for`);
    } else {
      const train = loadDataset(config.data.train, common);
      errors.push(...train.errors.map(formatDataError));
      data.train = train.samples;
      stats.train = train.stats;
      if (train.errors.length === 0) errors.push(...nothingToTrain(config.data.train, train.stats, config.data.maxLen));
    }
    if (config.data.eval !== undefined) {
      const ev = loadDataset(config.data.eval, common);
      errors.push(...ev.errors.map(formatDataError));
      data.eval = ev.samples;
      stats.eval = ev.stats;
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  return { ok: true, inputs: { tokenizer, tokenizerFiles, ...data, stats, ...(prompts === undefined ? {} : { prompts }) } };
}

/**
 * Data that would train on nothing: no samples, or samples none of whose tokens carries a loss (no
 * response in any record), which trains at loss 0 and looks like success. Empty when there is work.
 */
export function nothingToTrain(file: string, stats: DatasetStats, maxLen: number): string[] {
  if (stats.samples === 0 && stats.dropped > 0) {
    return [`${file}: no training samples: all ${stats.dropped} were cut at data.max_len = ${maxLen} before their response began; raise data.max_len or shorten the prompts`];
  }
  if (stats.samples === 0) return [`${file}: no training samples`];
  if (stats.lossTokens === 0) {
    return [`${file}: nothing to train on: none of its ${stats.samples} samples has a response token to compute a loss on (check the records' response fields, or data.loss_on)`];
  }
  return [];
}
