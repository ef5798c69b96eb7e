// Plain-text pretraining data (e.g. assets/default/corpus.txt): documents separated by blank lines,
// each tokenised and followed by eos, the token stream cut into blocks of `blockLen` tokens (the
// last may be shorter). Every token but the first of a block carries the loss, as in `text` records.
import { readFileSync } from 'node:fs';
import type { Tokenizer } from '../tokenizer/types.js';
import { emptyStats } from './dataset.js';
import type { DataError, DatasetStats, Sample } from './types.js';

export interface CorpusOptions {
  tokenizer: Tokenizer;
  blockLen: number;
}

export function loadTextCorpus(file: string, options: CorpusOptions): { samples: Sample[]; stats: DatasetStats; errors: DataError[] } {
  const stats: DatasetStats = emptyStats();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return { samples: [], stats, errors: [{ file, line: 0, pointer: '', message: `cannot read: ${(e as Error).message}` }] };
  }
  if (!Number.isInteger(options.blockLen) || options.blockLen < 2) {
    return { samples: [], stats, errors: [{ file, line: 0, pointer: '', message: `block length must be an integer of at least 2, got ${options.blockLen}` }] };
  }
  // One token stream over the whole file; offsets stay offsets of `text`.
  const ids: number[] = [];
  const offsets: Array<[number, number]> = [];
  const documents = /[^\n]+(?:\n(?!\n)[^\n]*)*/g; // runs of non-blank lines
  for (const m of text.matchAll(documents)) {
    const doc = m[0].trimEnd();
    if (doc.trim() === '') continue;
    stats.records++;
    const enc = options.tokenizer.encode(doc);
    for (let i = 0; i < enc.ids.length; i++) {
      ids.push(enc.ids[i]!);
      offsets.push([enc.offsets[i]![0] + m.index, enc.offsets[i]![1] + m.index]);
    }
    const end = m.index + doc.length;
    ids.push(options.tokenizer.eosId);
    offsets.push([end, end]);
  }
  const samples: Sample[] = [];
  let line = 1;
  let lineAt = 0;
  for (let start = 0; start < ids.length; start += options.blockLen) {
    const stop = Math.min(ids.length, start + options.blockLen);
    const from = offsets[start]![0];
    const to = offsets[stop - 1]![1];
    for (; lineAt < from; lineAt++) if (text.charCodeAt(lineAt) === 10) line++;
    const blockIds = ids.slice(start, stop);
    samples.push({
      index: samples.length,
      ids: blockIds,
      lossMask: blockIds.map((_, i) => i > 0),
      offsets: offsets.slice(start, stop).map(([s, e]) => [s - from, e - from] as [number, number]),
      text: text.slice(from, to),
      reward: 0,
      advantage: 0,
      spanScores: {},
      source: { file, line },
    });
    stats.tokens += blockIds.length;
    stats.lossTokens += blockIds.length - 1;
  }
  stats.samples = samples.length;
  if (stats.records === 0) return { samples, stats, errors: [{ file, line: 0, pointer: '', message: 'no text: the file is empty' }] };
  return { samples, stats, errors: [] };
}
