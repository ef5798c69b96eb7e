// llmlingua2(model = "DIR", aggregate = "mean"|"first"): each loss token takes the keep probability
// of the word its characters overlap most (overlap.ts), words being those of the text the sample's
// loss tokens cover (words.ts). The encoder (encoder.ts) and its own tokenizer come from DIR.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Sample } from '../../data/types.js';
import { formatTokenizerErrors, loadTokenizer } from '../../tokenizer/index.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { bestSpan } from '../overlap.js';
import { scoreLossTokens, type SampleScores } from '../sample-scores.js';
import { TokenClassifier } from './encoder.js';
import { aggregate, packWords, wordsIn, type Word } from './words.js';

export interface Llmlingua2Options {
  dir: string;
  aggregate: 'mean' | 'first';
}

/** What the scorer needs from the encoder: keep probabilities of id rows (special tokens included). */
export interface KeepModel {
  maxTokens: number;
  keepProbabilities(rows: readonly (readonly number[])[]): Float32Array[];
}

/** Sequences per encoder call. */
const ROWS = 8;

/** The [CLS]/<s> and [SEP]/</s> ids that wrap each sequence, from the tokenizer's special tokens. */
export function wrapIds(tokenizer: Tokenizer): { cls: number; sep: number } {
  const find = (names: string[]): number | undefined => {
    for (const n of names) {
      const id = tokenizer.tokenToId(n);
      if (id !== undefined) return id;
    }
    return undefined;
  };
  const cls = find([tokenizer.specialTokens['cls_token'] ?? '', '[CLS]', '<s>']);
  const sep = find([tokenizer.specialTokens['sep_token'] ?? '', '[SEP]', '</s>']);
  if (cls === undefined || sep === undefined) throw new Error(`llmlingua2: the tokenizer in ${tokenizer.source} has no [CLS]/<s> or [SEP]/</s> token`);
  return { cls, sep };
}

/** Word keep probabilities for each sample's loss text, then per-token scores. */
export function scoreSamples(samples: readonly Sample[], model: KeepModel, tokenizer: Tokenizer, how: 'mean' | 'first'): SampleScores[] {
  const { cls, sep } = wrapIds(tokenizer);
  const limit = model.maxTokens - 2;
  if (limit < 1) throw new Error('llmlingua2: the encoder has too few positions for one word');
  const perSample = samples.map((s) => {
    let start = Infinity;
    let end = -Infinity;
    s.ids.forEach((_, t) => {
      if (!s.lossMask[t]) return;
      start = Math.min(start, s.offsets[t]![0]);
      end = Math.max(end, s.offsets[t]![1]);
    });
    const words: Word[] = start < end ? wordsIn(s.text, start, end).map((w) => ({ ...w, ids: tokenizer.encode(s.text.slice(w.start, w.end)).ids })) : [];
    return { words, sequences: packWords(words, limit), probs: words.map((w) => new Array<number>(w.ids.length).fill(0)) };
  });
  const jobs = perSample.flatMap((p, si) => p.sequences.map((seq) => ({ si, seq })));
  for (let i = 0; i < jobs.length; i += ROWS) {
    const chunk = jobs.slice(i, i + ROWS);
    const rows = chunk.map(({ si, seq }) => [cls, ...seq.map(([w, k]) => perSample[si]!.words[w]!.ids[k]!), sep]);
    const out = model.keepProbabilities(rows);
    chunk.forEach(({ si, seq }, r) => seq.forEach(([w, k], j) => (perSample[si]!.probs[w]![k] = out[r]![j + 1]!)));
  }
  return samples.map((s, i) => {
    const { words, probs } = perSample[i]!;
    const wordProb = probs.map((p) => aggregate(p, how));
    return scoreLossTokens(s, (t) => {
      const [a, b] = s.offsets[t]!;
      const w = bestSpan(words, a, b);
      return w < 0 ? 0 : wordProb[w]!;
    });
  });
}

export async function llmlingua2Scores(samples: readonly Sample[], options: Llmlingua2Options): Promise<SampleScores[]> {
  const tokenizer = loadEncoderTokenizer(options.dir);
  const model = await TokenClassifier.load(options.dir);
  try {
    return scoreSamples(samples, model, tokenizer, options.aggregate);
  } finally {
    model.dispose();
  }
}

/**
 * The encoder's tokenizer. src/tokenizer insists on an eos_token (training appends it), which BERT
 * tokenizers such as bert-base-multilingual-cased do not name; an encoder never generates, so a
 * missing one is filled with the sep_token in a temporary copy of tokenizer_config.json.
 */
export function loadEncoderTokenizer(dir: string): Tokenizer {
  const tok = loadTokenizer(dir);
  if (tok.ok) return tok.tokenizer;
  let config: Record<string, unknown> | undefined;
  try {
    config = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  } catch {
    config = undefined;
  }
  if (config !== undefined && config['eos_token'] === undefined && config['sep_token'] !== undefined) {
    const temp = mkdtempSync(join(tmpdir(), 'sftgoc-encoder-tokenizer-'));
    try {
      writeFileSync(join(temp, 'tokenizer.json'), readFileSync(join(dir, 'tokenizer.json')));
      writeFileSync(join(temp, 'tokenizer_config.json'), JSON.stringify({ ...config, eos_token: config['sep_token'] }));
      const again = loadTokenizer(temp);
      if (again.ok) return again.tokenizer;
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
  }
  throw new Error(`llmlingua2: ${formatTokenizerErrors(tok.errors)}`);
}
