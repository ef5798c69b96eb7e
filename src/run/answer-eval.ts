// Evaluation by generated answers (what the SFT-GO, Rho-1 and GFT papers measure): each question of
// a `prompts` file (or any data file's prompts, rendered as training renders them) is answered by the
// model, and the answer scored against the record's `answer` (normalised exact match, containment)
// and `facts` (the share stated) by score.ts. `eval --generate` and `compare --generate` call this;
// the per-question records go to generations.jsonl and the summary to generation.json, beside the
// result, so a person can read what the model said.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { loadPrompts } from '../data/prompts.js';
import { formatDataError } from '../data/index.js';
import type { EngineName, EngineOptions } from '../engine/index.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { writeFileAtomic } from '../util/atomic.js';
import { generate } from './generate.js';
import { scoreCompletion, scoreSummary, type CompletionScore, type ScoreSummary } from '../data/score.js';
import type { DecodeOptions, DecodeProgress } from '../generate/types.js';

/** Greedy, short answers, cut at the first line break: the eval's decoding unless the caller says otherwise. */
export const ANSWER_DECODING: DecodeOptions = { maxNew: 48, temperature: 0, topK: 0, topP: 1, n: 1, seed: 1 };
export const ANSWER_STOPS: readonly string[] = ['\n'];

export interface AnswerEvalJob {
  modelDir: string;
  tokenizer: Tokenizer;
  questionsFile: string;
  /** The first N questions only. */
  limit?: number;
  skipBadRecords?: boolean;
  options?: DecodeOptions;
  stops?: readonly string[];
  engine: EngineName;
  engineOptions: EngineOptions & { backend?: string };
  progress?: DecodeProgress;
}

/** One answered question, as generations.jsonl holds it. */
export interface AnsweredQuestion extends CompletionScore {
  source: string;
  prompt: string;
  completion: string;
  answer?: string;
  facts_expected?: string[];
  finish: string;
  logprob: number;
}

export type AnswerEvalResult =
  | { ok: true; summary: ScoreSummary; answered: AnsweredQuestion[]; notes: string[]; decoding: DecodeOptions; stops: readonly string[] }
  | { ok: false; problems: string[]; kind: 'usage' | 'input' };

export async function evaluateAnswers(job: AnswerEvalJob): Promise<AnswerEvalResult> {
  const loaded = loadPrompts(job.questionsFile, job.tokenizer, { skipBadRecords: job.skipBadRecords === true });
  if (loaded.errors.length > 0) return { ok: false, problems: loaded.errors.map(formatDataError), kind: 'input' };
  const questions = loaded.prompts.slice(0, job.limit ?? loaded.prompts.length);
  if (questions.length === 0) return { ok: false, problems: [`${job.questionsFile}: no questions`], kind: 'input' };
  const scored = questions.filter((q) => q.answer !== undefined || (q.facts !== undefined && q.facts.length > 0));
  if (scored.length === 0) return { ok: false, problems: [`${job.questionsFile}: no record has an \`answer\` or \`facts\` to score a generated answer against`], kind: 'input' };
  const options = { ...(job.options ?? ANSWER_DECODING), n: 1 };
  const stops = job.stops ?? ANSWER_STOPS;
  const result = await generate({
    modelDir: job.modelDir, tokenizer: job.tokenizer, options, stops, engine: job.engine, engineOptions: job.engineOptions,
    prompts: questions.map((q) => ({ label: `${q.source.file}:${q.source.line}`, text: q.text, ids: q.ids })),
    ...(job.progress !== undefined ? { progress: job.progress } : {}),
  });
  if (!result.ok) return result;
  const answered = result.completions.map((c, i): AnsweredQuestion => {
    const q = questions[i]!;
    return {
      source: `${q.source.file}:${q.source.line}`, prompt: q.text, completion: c.completion,
      ...(q.answer !== undefined ? { answer: q.answer } : {}), ...(q.facts !== undefined ? { facts_expected: q.facts } : {}),
      ...scoreCompletion(c.completion, q), finish: c.finish, logprob: c.logprob,
    };
  });
  return { ok: true, summary: scoreSummary(answered), answered, notes: result.notes, decoding: options, stops };
}

/** The summary as people read it: "contains 41.0% · facts 37.5% · exact 2.0% (200 questions)". */
export function summaryLine(s: ScoreSummary): string {
  const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}%`);
  return `contains ${pct(s.contains)} · facts ${pct(s.facts)} · exact ${pct(s.exact)} (${s.n} questions)`;
}

/** generations.jsonl (one answered question a line) and generation.json (the summary and how it was made) in `dir`. */
export async function writeAnswerEval(dir: string, r: Extract<AnswerEvalResult, { ok: true }>, meta: { model: string; questions: string; engine: string }): Promise<{ generations: string; summary: string }> {
  const generations = join(dir, 'generations.jsonl');
  const summary = join(dir, 'generation.json');
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(generations, r.answered.map((a) => `${JSON.stringify(a)}\n`).join(''));
  const doc = {
    model: meta.model, questions: meta.questions, engine: meta.engine, decoding: r.decoding, stops: r.stops,
    n: r.summary.n, n_answer: r.summary.nAnswer, n_facts: r.summary.nFacts,
    exact: r.summary.exact ?? null, contains: r.summary.contains ?? null, facts: r.summary.facts ?? null,
    written: new Date().toISOString(),
  };
  await writeFileAtomic(summary, `${JSON.stringify(doc, null, 2)}\n`);
  return { generations, summary };
}

/**
 * A finished run's final model answers `questions` (greedy, tfjs engine, as `eval --generate`);
 * generations.jsonl and generation.json go into the run directory. The shares, or a problem.
 */
export async function answerRun(runDir: string, questions: string, g: { limit?: number; maxNew?: number; backend?: string }): Promise<{ contains?: number; facts?: number; exact?: number } | string> {
  const { loadTokenizer, formatTokenizerErrors } = await import('../tokenizer/index.js');
  const modelDir = join(runDir, 'final');
  const tok = loadTokenizer(modelDir);
  if (!tok.ok) return formatTokenizerErrors(tok.errors);
  const result = await evaluateAnswers({
    modelDir, tokenizer: tok.tokenizer, questionsFile: questions, engine: 'tfjs', engineOptions: { backend: g.backend ?? 'auto' },
    options: { ...ANSWER_DECODING, ...(g.maxNew !== undefined ? { maxNew: g.maxNew } : {}) }, ...(g.limit !== undefined ? { limit: g.limit } : {}),
  });
  if (!result.ok) return result.problems.join('; ');
  await writeAnswerEval(runDir, result, { model: modelDir, questions, engine: 'tfjs' });
  const s = result.summary;
  return { ...(s.contains !== undefined ? { contains: s.contains } : {}), ...(s.facts !== undefined ? { facts: s.facts } : {}), ...(s.exact !== undefined ? { exact: s.exact } : {}) };
}
