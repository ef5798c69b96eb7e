// loadPrompts: a JSON Lines file to prompts for generation, each rendered exactly as training renders
// the text before its response, so a model is asked a question in the shape it was trained on:
//   alpaca              "### Instruction:\n…\n\n[### Input:\n…\n\n]### Response:\n" (render.ts's alpacaPrompt)
//   prompt-completion   prompt
//   responses           prompt
//   chat                the messages before the last assistant message, rendered with the chat
//                       template and its generation prompt (render-chat.ts's renderChatPrompt);
//                       all the messages when there is no assistant message
//   prompts             prompt, or messages rendered with the generation prompt
//   text                an error: the format has no prompt
// The answer of a training record is its response (completion, output, the last assistant message's
// content; for `responses` the best-rewarded completion, the first of ties); facts come from a
// `facts` field, checked by the `prompts` schema's rule. Reading, size bounds, validation and
// skip-bad-records are loadDataset's (readRecords, settleErrors); nothing is thrown.
import { normalizeAnswer } from './score.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { readRecords, settleErrors } from './dataset.js';
import { alpacaPrompt, type AnyRecord } from './render.js';
import { renderChatPrompt } from './render-chat.js';
import { validateFacts, type SchemaProblem } from './schema.js';
import type { DataError, DataFormat } from './types.js';

export interface PromptRecord {
  /** Index among the loaded prompts (after skipping bad records); stable across runs. */
  index: number;
  /** The prompt as training renders it (no eos). */
  text: string;
  /** tokenizer.encode(text).ids: no special tokens added, no eos. */
  ids: number[];
  answer?: string;
  facts?: string[];
  source: { file: string; line: number };
}

export interface PromptLoadOptions {
  format?: DataFormat | 'auto';
  /** Skip bad records and count them, instead of reporting them as errors. */
  skipBadRecords?: boolean;
  /** Bytes of one record at most (data.max_record_bytes); default 8 MiB. */
  maxRecordBytes?: number;
  /** Prompt tokens at most (the model's positions less the tokens to generate); longer is an error. */
  maxPromptTokens?: number;
}

export interface PromptStats {
  /** Non-blank lines read. */
  records: number;
  /** Bad records skipped (with skipBadRecords). */
  skipped: number;
  prompts: number;
  /** Prompt tokens, all prompts together. */
  tokens: number;
  withAnswer: number;
  withFacts: number;
}

export interface LoadedPrompts {
  /** The format used (asked for, or detected by `auto`). */
  format?: DataFormat;
  prompts: PromptRecord[];
  /** Errors that make the file unusable; empty when all went well (or bad records were skipped). */
  errors: DataError[];
  /** With skipBadRecords: what was wrong with each skipped record. */
  skippedRecords: DataError[];
  stats: PromptStats;
}

interface Question {
  text: string;
  answer?: string;
}

/** The prompt and answer of one schema-valid record of `format`; undefined after a problem. */
function question(format: DataFormat, r: AnyRecord, tokenizer: Tokenizer, problems: SchemaProblem[]): Question | undefined {
  const nonEmpty = (text: string, pointer: string, answer?: string): Question | undefined => {
    if (text.trim() === '') {
      problems.push({ pointer, message: 'empty prompt: there is nothing to generate from' });
      return undefined;
    }
    return answer === undefined ? { text } : { text, answer };
  };
  switch (format) {
    case 'alpaca':
      // The instruction is what makes the prompt: the layout around it is always there.
      if (r.instruction!.trim() === '' && !r.input?.trim()) return nonEmpty('', '/instruction');
      return { text: alpacaPrompt(r.instruction!, r.input), answer: r.output! };
    case 'prompt-completion':
      return nonEmpty(r.prompt!, '/prompt', r.completion!);
    case 'responses': {
      const best = r.responses!.reduce((a, b) => (b.reward > a.reward ? b : a));
      return nonEmpty(r.prompt!, '/prompt', best.completion);
    }
    case 'text':
      problems.push({ pointer: '', message: 'the text format has no prompt: give prompts, prompt-completion, alpaca, chat or responses records' });
      return undefined;
    case 'chat': {
      const messages = r.messages!;
      const last = messages.map((m) => m.role).lastIndexOf('assistant');
      const before = last < 0 ? messages : messages.slice(0, last);
      if (!before.some((m) => m.content.trim() !== '')) return nonEmpty('', '/messages');
      const text = renderChatPrompt(before, tokenizer, problems);
      if (text === undefined) return undefined;
      return last < 0 ? { text } : { text, answer: messages[last]!.content };
    }
    case 'prompts': {
      if (r.prompt !== undefined) return nonEmpty(r.prompt, '/prompt', r.answer);
      const messages = r.messages!;
      if (messages[messages.length - 1]!.role === 'assistant') {
        problems.push({ pointer: `/messages/${messages.length - 1}/role`, message: 'a prompt ends where the answer starts: the last message may not be the assistant\'s' });
        return undefined;
      }
      if (!messages.some((m) => m.content.trim() !== '')) return nonEmpty('', '/messages');
      const text = renderChatPrompt(messages, tokenizer, problems);
      if (text === undefined) return undefined;
      return r.answer === undefined ? { text } : { text, answer: r.answer };
    }
  }
}

/** Reads `file` as prompts for generation. Nothing is thrown: a missing file is an error at line 0. */
export function loadPrompts(file: string, tokenizer: Tokenizer, options: PromptLoadOptions = {}): LoadedPrompts {
  const stats: PromptStats = { records: 0, skipped: 0, prompts: 0, tokens: 0, withAnswer: 0, withFacts: 0 };
  const read = readRecords(file, options.format ?? 'auto', options.maxRecordBytes);
  if (!read.ok) return { prompts: [], errors: [read.error], skippedRecords: [], stats };
  const parsed = read.parsed;
  stats.records = parsed.lines;
  const errors: DataError[] = [...parsed.errors];
  const prompts: PromptRecord[] = [];
  const format = parsed.format;
  if (format !== undefined) {
    for (const record of parsed.records) {
      const r = record.value as AnyRecord;
      const problems: SchemaProblem[] = [];
      // `prompts` records were checked by their schema; other formats may carry facts as an extra field.
      if (format !== 'prompts' && r.facts !== undefined) problems.push(...validateFacts(r.facts));
      const q = problems.length === 0 ? question(format, r, tokenizer, problems) : undefined;
      const facts = Array.isArray(r.facts) ? (r.facts as string[]) : undefined;
      // An answer or fact of nothing but punctuation, articles and spaces can never be found in a completion.
      if (format === 'prompts' && r.answer !== undefined && normalizeAnswer(r.answer) === '') problems.push({ pointer: '/answer', message: 'has no words left once normalised (only punctuation, articles or spaces): no completion could match it' });
      facts?.forEach((f, i) => {
        if (typeof f === 'string' && f !== '' && normalizeAnswer(f) === '') problems.push({ pointer: `/facts/${i}`, message: 'has no words left once normalised (only punctuation, articles or spaces): no completion could state it' });
      });
      if (q !== undefined && problems.length === 0) {
        const ids = tokenizer.encode(q.text).ids;
        if (options.maxPromptTokens !== undefined && ids.length > options.maxPromptTokens) {
          problems.push({ pointer: '', message: `the prompt is ${ids.length} tokens; at most ${options.maxPromptTokens} fit` });
        } else {
          const p: PromptRecord = { index: prompts.length, text: q.text, ids, source: { file, line: record.line } };
          if (q.answer !== undefined) p.answer = q.answer;
          if (facts !== undefined) p.facts = [...facts];
          prompts.push(p);
          stats.tokens += ids.length;
          if (p.answer !== undefined) stats.withAnswer++;
          if (p.facts !== undefined) stats.withFacts++;
        }
      }
      for (const p of problems) errors.push({ file, line: record.line, pointer: p.pointer, message: p.message });
    }
  }
  stats.prompts = prompts.length;
  const settled = settleErrors(errors, parsed, file, options.skipBadRecords);
  stats.skipped = settled.skipped;
  const result: LoadedPrompts = { prompts, errors: settled.errors, skippedRecords: settled.skippedRecords, stats };
  if (format !== undefined) result.format = format;
  return result;
}
