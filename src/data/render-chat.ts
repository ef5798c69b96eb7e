// Chat records to text and the character ranges of assistant turns.
//
// With a chat template (tokenizer_config.json), an assistant turn i is found the way TRL's
// assistant-only masks find it: render messages[..i] with the generation prompt (P) and messages[..i]
// (F); if the full conversation starts with F and F with P, the turn is F minus P: its content and
// the template's end-of-turn marker, trailing whitespace dropped. When the template is not
// prefix-stable, the content is searched for in the rendered text after the previous turn.
// Without a template, the fallback is ChatML: `<|im_start|>ROLE\nCONTENT<|im_end|>\n` per message,
// with loss on each assistant CONTENT<|im_end|>.
import type { ChatMessage, Tokenizer } from '../tokenizer/types.js';
import type { SchemaProblem } from './schema.js';

export interface RenderedChat {
  text: string;
  ranges: Array<[number, number]>;
  /** Where the content of each assistant message starts in `text`, by message index. */
  contentStart: Map<number, number>;
}

function trimEnd(text: string, start: number, end: number): number {
  while (end > start && /\s/.test(text[end - 1]!)) end--;
  return end;
}

/** The ChatML generation prompt: the opening of an assistant turn, as the fallback renders one. */
const CHATML_GENERATION_PROMPT = '<|im_start|>assistant\n';

function renderFallback(messages: readonly ChatMessage[]): RenderedChat {
  let text = '';
  const ranges: Array<[number, number]> = [];
  const contentStart = new Map<number, number>();
  messages.forEach((m, i) => {
    text += m.role === 'assistant' ? CHATML_GENERATION_PROMPT : `<|im_start|>${m.role}\n`;
    const start = text.length;
    text += `${m.content}<|im_end|>`;
    if (m.role === 'assistant') {
      ranges.push([start, text.length]);
      contentStart.set(i, start);
    }
    text += '\n';
  });
  return { text, ranges, contentStart };
}

/** Renders through the tokenizer's template; a template error becomes a problem at /messages. */
function templateRenderer(tokenizer: Tokenizer, problems: SchemaProblem[]): (ms: readonly ChatMessage[], gen: boolean) => string | undefined {
  return (ms, gen) => {
    try {
      return tokenizer.applyChatTemplate(ms, { addGenerationPrompt: gen });
    } catch (e) {
      problems.push({ pointer: '/messages', message: `the chat template of ${tokenizer.source} failed: ${(e as Error).message}` });
      return undefined;
    }
  };
}

/**
 * `messages` followed by the opening of an assistant turn: the text a model continues to answer.
 * It is what renderChat puts before an assistant turn (the P of the comment above, for a
 * prefix-stable template; with the fallback, ChatML up to `<|im_start|>assistant\n`).
 */
export function renderChatPrompt(messages: readonly ChatMessage[], tokenizer: Tokenizer | undefined, problems: SchemaProblem[]): string | undefined {
  if (tokenizer?.chatTemplate === undefined) return renderFallback(messages).text + CHATML_GENERATION_PROMPT;
  return templateRenderer(tokenizer, problems)(messages, true);
}

export function renderChat(messages: readonly ChatMessage[], tokenizer: Tokenizer | undefined, problems: SchemaProblem[]): RenderedChat | undefined {
  if (tokenizer?.chatTemplate === undefined) return renderFallback(messages);
  const render = templateRenderer(tokenizer, problems);
  const text = render(messages, false);
  if (text === undefined) return undefined;
  const ranges: Array<[number, number]> = [];
  const contentStart = new Map<number, number>();
  let cursor = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role !== 'assistant') continue;
    const before = render(messages.slice(0, i), true);
    const through = render(messages.slice(0, i + 1), false);
    if (before === undefined || through === undefined) return undefined;
    if (through.startsWith(before) && text.startsWith(through) && before.length >= cursor) {
      const at = text.indexOf(m.content, before.length);
      contentStart.set(i, at >= 0 && at < through.length ? at : before.length);
      ranges.push([before.length, trimEnd(text, before.length, through.length)]);
      cursor = through.length;
      continue;
    }
    const at = text.indexOf(m.content, cursor);
    if (at < 0) {
      problems.push({ pointer: `/messages/${i}/content`, message: `the chat template of ${tokenizer.source} does not write this assistant message into the conversation` });
      return undefined;
    }
    contentStart.set(i, at);
    ranges.push([at, at + m.content.length]);
    cursor = at + m.content.length;
  }
  return { text, ranges, contentStart };
}
