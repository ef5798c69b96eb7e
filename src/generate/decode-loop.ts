// The decoding loop both in-process paths share: rows (prompt p, sample j) in chunks of `batch`,
// one prefill per distinct prompt (its samples copy its cache row), then one token per live row per
// step against the cache, drawn by sampling.ts with the row's own stream, until eos or max_new. The torch program's sftgoc_generate.py runs the same loop in Python.
import { logProbability, rowStream, sampleToken } from './sampling.js';
import type { DecodeProgress, DecodedRow, DecodeOptions } from './types.js';

/** What the loop needs of a model: a key/value cache of rows it appends tokens to. */
export interface StepModel {
  begin(rows: number, capacity: number): void;
  copyRow(from: number, to: number): void;
  /** Logits [vocab] after each item's last token. */
  append(items: ReadonlyArray<{ row: number; ids: readonly number[] }>): Float32Array[];
}

export interface LoopRequest {
  prompts: ReadonlyArray<readonly number[]>;
  options: DecodeOptions;
  eosId: number;
  /** Rows decoded together (the cache holds this many). */
  batch: number;
  /**
   * The key of each prompt's streams: row (p, j) draws from rowStream(seed, promptKeys[p]·n + j).
   * Absent: p itself (generate's rule). On-policy training passes PromptRecord.index, so a response
   * does not depend on which batch position decoded it (src/language/on-policy.ts rule 2).
   */
  promptKeys?: readonly number[];
}

/** Every row's continuation, prompt-major (stop strings are applied afterwards: stops.ts). */
export async function decodeRows(model: StepModel, request: LoopRequest, progress?: DecodeProgress): Promise<DecodedRow[]> {
  const { prompts, options, eosId } = request;
  const n = options.n;
  const total = prompts.length * n;
  const out: DecodedRow[] = [];
  for (let first = 0; first < total; first += request.batch) {
    const count = Math.min(request.batch, total - first);
    const chunk = Array.from({ length: count }, (_, i) => {
      const row = first + i;
      const prompt = Math.floor(row / n);
      const key = request.promptKeys === undefined ? row : request.promptKeys[prompt]! * n + (row % n);
      return { prompt, sample: row % n, rng: rowStream(options.seed, key), ids: [] as number[], logprobs: [] as number[], finish: undefined as DecodedRow['finish'] | undefined };
    });
    const capacity = Math.max(...chunk.map((r) => prompts[r.prompt]!.length)) + options.maxNew;
    model.begin(count, capacity);
    // Prefill each distinct prompt once; its other samples copy the cache row and share the logits.
    const logits: Float32Array[] = new Array(count);
    const firstRowOf = new Map<number, number>();
    chunk.forEach((r, i) => {
      if (!firstRowOf.has(r.prompt)) firstRowOf.set(r.prompt, i);
    });
    const leaders = [...firstRowOf.entries()];
    const prefilled = model.append(leaders.map(([p, i]) => ({ row: i, ids: prompts[p]! })));
    leaders.forEach(([, i], j) => {
      logits[i] = prefilled[j]!;
    });
    chunk.forEach((r, i) => {
      const leader = firstRowOf.get(r.prompt)!;
      if (leader !== i) {
        model.copyRow(leader, i);
        logits[i] = logits[leader]!;
      }
    });
    let live = chunk.map((_, i) => i);
    while (live.length > 0) {
      const next: number[] = [];
      for (const i of live) {
        const r = chunk[i]!;
        const l = logits[i]!;
        const id = sampleToken(l, options, r.rng);
        r.logprobs.push(logProbability(l, id));
        if (id === eosId) {
          r.finish = 'eos';
          continue;
        }
        r.ids.push(id);
        if (r.ids.length >= options.maxNew) {
          r.finish = 'length';
          continue;
        }
        next.push(i);
      }
      if (next.length > 0) {
        const stepped = model.append(next.map((i) => ({ row: i, ids: [chunk[i]!.ids.at(-1)!] })));
        next.forEach((i, j) => {
          logits[i] = stepped[j]!;
        });
      }
      live = next;
    }
    for (const r of chunk) out.push({ prompt: r.prompt, sample: r.sample, ids: r.ids, logprobs: r.logprobs, finish: r.finish! });
    progress?.(first + count, total);
    // Between chunks the event loop runs: a progress bar redraws, a signal is handled.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}
