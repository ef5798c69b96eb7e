// A validated record becomes one or more rendered samples: the text the model reads, the character
// ranges that carry the loss under loss_on = "response", and the record's span scores and reward.
//
// Layouts (the response is the last field, so a completion never sees its own text in the prompt):
//   alpaca              "### Instruction:\n{instruction}\n\n[### Input:\n{input}\n\n]### Response:\n{output}"
//   prompt-completion   "{prompt}{completion}" verbatim (as TRL concatenates them)
//   chat                the tokenizer's chat template, else ChatML (render-chat.ts)
//   text                "{text}", all of it a response
//   responses           "{prompt}{completion}" per response
//   prompts             none: questions for generation have no response to train on (loadPrompts reads them)
// An end-of-sequence token follows the response (chat: when the last message is the assistant's).
import type { Tokenizer } from '../tokenizer/types.js';
import { renderChat } from './render-chat.js';
import type { SchemaProblem } from './schema.js';
import { placeScores, type SpanScores } from './spans.js';
import type { DataFormat } from './types.js';

export interface Rendered {
  text: string;
  /** UTF-16 ranges of `text` that carry the loss when loss_on = "response". */
  responseRanges: Array<[number, number]>;
  /** Append the tokenizer's eos after the text, as a loss token. */
  appendEos: boolean;
  spanScores: SpanScores;
  reward: number;
  advantage: number;
}

/** Fields of every format after schema validation (the schemas guarantee the shapes); prompts.ts reads them too. */
export interface AnyRecord {
  instruction?: string;
  input?: string;
  output?: string;
  prompt?: string;
  completion?: string;
  text?: string;
  messages?: Array<{ role: string; content: string }>;
  responses?: Array<{ completion: string; reward: number; scores?: SpanScores }>;
  scores?: SpanScores;
  /** `prompts` records (any record may carry facts). */
  answer?: string;
  facts?: unknown;
}

/**
 * GFT/GRPO group normalisation as verl computes it (compute_grpo_outcome_advantage): over the
 * responses of one prompt, (r − mean) / (std + 1e-6) with the sample standard deviation (divide by
 * n − 1, torch.std's default); a prompt with one response has no spread to normalise by and gets
 * mean 0, std 1, i.e. its reward / (1 + 1e-6). Equal rewards give 0.
 */
export function groupAdvantages(rewards: readonly number[]): number[] {
  const n = rewards.length;
  if (n === 1) return [rewards[0]! / (1 + 1e-6)];
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  const variance = rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1);
  const std = Math.sqrt(variance);
  return rewards.map((r) => (r - mean) / (std + 1e-6));
}

/** Why a `prompts` record cannot be a training sample. */
export const PROMPTS_NOT_TRAINING = 'prompts records are questions for generation (sftgoc generate, eval --generate): they have no response to train on; give training data in a format with responses';

function single(text: string, responseStart: number, scores: SpanScores | undefined, scorePointer: string, problems: SchemaProblem[]): Rendered {
  return {
    text,
    responseRanges: [[responseStart, text.length]],
    appendEos: true,
    spanScores: placeScores(scores, text.slice(responseStart), responseStart, scorePointer, problems),
    reward: 0,
    advantage: 0,
  };
}

/** The alpaca layout up to the output: what training puts before the response, and what generation is given. */
export function alpacaPrompt(instruction: string, input: string | undefined): string {
  const inputPart = input ? `### Input:\n${input}\n\n` : '';
  return `### Instruction:\n${instruction}\n\n${inputPart}### Response:\n`;
}

/** Renders one schema-valid record; problems (bad spans, a failing chat template) go to `problems`. */
export function renderRecord(format: DataFormat, value: unknown, tokenizer: Tokenizer | undefined, problems: SchemaProblem[]): Rendered[] {
  const r = value as AnyRecord;
  switch (format) {
    case 'alpaca': {
      const prompt = alpacaPrompt(r.instruction!, r.input);
      return [single(prompt + r.output!, prompt.length, r.scores, '/scores', problems)];
    }
    case 'prompt-completion':
      return [single(r.prompt! + r.completion!, r.prompt!.length, r.scores, '/scores', problems)];
    case 'text':
      return [single(r.text!, 0, r.scores, '/scores', problems)];
    case 'chat': {
      const messages = r.messages!;
      const chat = renderChat(messages, tokenizer, problems);
      if (chat === undefined) return [];
      // Span scores index the content of the last assistant message.
      let last = -1;
      messages.forEach((m, i) => {
        if (m.role === 'assistant') last = i;
      });
      let spanScores: SpanScores = {};
      if (r.scores !== undefined) {
        if (last < 0) problems.push({ pointer: '/scores', message: 'scores need an assistant message: they index the content of the last one' });
        else spanScores = placeScores(r.scores, messages[last]!.content, chat.contentStart.get(last)!, '/scores', problems);
      }
      return [{ text: chat.text, responseRanges: chat.ranges, appendEos: messages[messages.length - 1]!.role === 'assistant', spanScores, reward: 0, advantage: 0 }];
    }
    case 'responses': {
      const responses = r.responses!;
      const advantages = groupAdvantages(responses.map((x) => x.reward));
      return responses.map((resp, j) => ({
        ...single(r.prompt! + resp.completion, r.prompt!.length, resp.scores, `/responses/${j}/scores`, problems),
        reward: resp.reward,
        advantage: advantages[j]!,
      }));
    }
    case 'prompts':
      // loadDataset refuses a `prompts` file as a whole before rendering; this keeps the switch total.
      problems.push({ pointer: '', message: PROMPTS_NOT_TRAINING });
      return [];
  }
}
