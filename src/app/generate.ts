// `sftgoc generate`: the model of a run directory (or --model DIR), prompts from the command line
// (--prompt, encoded as training encodes text) or from a data file (--data: each record's prompt
// rendered as training renders it), decoded by the chosen engine with a key/value cache. JSONL
// records {prompt, sample, completion, ids, finish, logprob} on stdout under --json and in --out;
// readable text otherwise. A progress bar on a terminal for long requests.
import type { Output } from '../cli/output.js';
import type { EngineName, EngineOptions } from '../engine/index.js';
import { generate } from '../run/generate.js';
import type { Completion, DecodeOptions } from '../generate/types.js';
import { formatDataError } from '../data/index.js';
import { loadPrompts } from '../data/prompts.js';
import { modelOfRun } from '../run/run-model.js';
import { formatTokenizerErrors, loadTokenizer } from '../tokenizer/index.js';
import { writeFileAtomic } from '../util/atomic.js';
import { ExitCode, exitCodeOf, fail, human, note, type Reply } from './output.js';
import { decodeProgressBar } from './progress-bar.js';

export interface GenerateCommandOptions {
  runDir?: string;
  model?: string;
  prompts: readonly string[];
  data?: string;
  /** --data: the first N records only. */
  limit?: number;
  skipBadRecords: boolean;
  decode: DecodeOptions;
  stops: readonly string[];
  engine: EngineName;
  engineOptions: EngineOptions & { backend?: string };
  batch?: number;
  /** Also write the JSONL records here (atomically). */
  out?: string;
  json: boolean;
  quiet: boolean;
  /** stderr is a terminal: draw a progress bar. */
  tty: boolean;
}

/** One JSONL line a completion. */
export function completionRecord(c: Completion): Record<string, unknown> {
  return { prompt: c.prompt, sample: c.sample, completion: c.completion, ids: c.ids, finish: c.finish, logprob: c.logprob };
}

export async function runGenerate(o: GenerateCommandOptions, out: Output): Promise<number> {
  const reply: Reply = { out, json: o.json, quiet: o.quiet };
  if ((o.runDir === undefined) === (o.model === undefined)) return fail(reply, ExitCode.Usage, ['give a RUN_DIR or --model DIR (one of them)']);
  if ((o.prompts.length > 0) === (o.data !== undefined)) return fail(reply, ExitCode.Usage, ['give --prompt TEXT (repeatable) or --data FILE (one of them)']);
  let modelDir = o.model!;
  if (o.runDir !== undefined) {
    const found = await modelOfRun(o.runDir);
    if ('problem' in found) return fail(reply, ExitCode.InputError, [found.problem]);
    modelDir = found.modelDir;
    for (const n of found.notes) note(reply)(`note: ${n}`);
  }
  const tok = loadTokenizer(modelDir);
  if (!tok.ok) return fail(reply, ExitCode.InputError, [formatTokenizerErrors(tok.errors)]);
  const tokenizer = tok.tokenizer;

  let prompts: Array<{ label: string; text: string; ids: number[] }>;
  if (o.data !== undefined) {
    const loaded = loadPrompts(o.data, tokenizer, { skipBadRecords: o.skipBadRecords });
    if (loaded.errors.length > 0) return fail(reply, ExitCode.InputError, loaded.errors.map(formatDataError));
    prompts = loaded.prompts.slice(0, o.limit ?? loaded.prompts.length).map((p) => ({ label: `${p.source.file}:${p.source.line}`, text: p.text, ids: p.ids }));
  } else {
    prompts = o.prompts.map((text, i) => ({ label: `--prompt ${i + 1}`, text, ids: tokenizer.encode(text).ids }));
  }

  const bar = decodeProgressBar('generating', 'completions', o.tty && !o.quiet);
  const result = await generate({
    modelDir, tokenizer, prompts, options: o.decode, stops: o.stops, engine: o.engine, engineOptions: o.engineOptions,
    ...(o.batch !== undefined ? { batch: o.batch } : {}),
    progress: bar.progress,
  });
  bar.stop();
  if (!result.ok) return fail(reply, exitCodeOf(result.kind), result.problems);
  for (const n of result.notes) note(reply)(`note: ${n}`);

  const lines = result.completions.map((c) => JSON.stringify(completionRecord(c)));
  if (o.out !== undefined) await writeFileAtomic(o.out, lines.map((l) => `${l}\n`).join(''));
  if (o.json) {
    for (const l of lines) out.stdout(l);
  } else {
    const say = human(reply);
    result.completions.forEach((c) => {
      const tag = o.decode.n > 1 ? ` (sample ${c.sample + 1}/${o.decode.n})` : '';
      say(`${JSON.stringify(c.prompt)}${tag}\n  → ${JSON.stringify(c.completion)}  [${c.finish}, ${c.ids.length} tokens, logprob ${c.logprob.toFixed(3)}]`);
    });
    if (o.out !== undefined) note(reply)(`wrote ${result.completions.length} completions to ${o.out}`);
  }
  return ExitCode.Success;
}
