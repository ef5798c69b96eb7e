// The project's Tokenizer over Tokenizers.js (@huggingface/tokenizers, pure JavaScript). The library
// encodes and decodes; it returns no offsets, so offsets.ts recovers them by alignment, and it has no
// chat templates, so those are rendered with @huggingface/jinja as transformers does.
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { Template } from '@huggingface/jinja';
import { renderBounded } from './bounded-template.js';
import { join } from 'node:path';
import { readTokenizerFiles, type TokenizerFiles } from './load-files.js';
import { alignOffsets } from './offsets.js';
import { surfaceFunction, type SurfaceFn } from './surface.js';
import type { ChatMessage, EncodeOptions, Encoded, Tokenizer, TokenizerLoadError, TokenizerLoadResult } from './types.js';

const SPECIAL_KEYS = ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token'] as const;

/** Names tried for the end-of-sequence token when tokenizer_config.json does not name one. */
const EOS_GUESSES = ['<|endoftext|>', '</s>', '<eos>', '<|eos|>', '<|end_of_text|>'];

/** tokenizer_config.json writes special tokens as strings or as `{content: ...}` objects. */
function tokenString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

function pickChatTemplate(config: Record<string, unknown>, fromFile: string | undefined): string | undefined {
  const value = config.chat_template;
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    // The named-template form: [{name: "default", template: "..."}, {name: "tool_use", ...}].
    const entries = value as Array<{ name?: unknown; template?: unknown }>;
    const chosen = entries.find((e) => e.name === 'default') ?? entries[0];
    if (chosen && typeof chosen.template === 'string') return chosen.template;
  }
  return fromFile;
}

class HfBackedTokenizer implements Tokenizer {
  readonly source: string;
  readonly vocabSize: number;
  readonly padId: number;
  readonly eosId: number;
  readonly bosId?: number;
  readonly unkId?: number;
  readonly chatTemplate?: string;
  readonly specialTokens: Readonly<Record<string, string>>;
  private readonly inner: HfTokenizer;
  private readonly surface: SurfaceFn;
  private template?: Template;

  constructor(files: TokenizerFiles, inner: HfTokenizer, ids: { vocabSize: number; padId: number; eosId: number; bosId?: number; unkId?: number }, specialTokens: Record<string, string>, surface: SurfaceFn, chatTemplate: string | undefined) {
    this.source = files.dir;
    this.inner = inner;
    this.vocabSize = ids.vocabSize;
    this.padId = ids.padId;
    this.eosId = ids.eosId;
    if (ids.bosId !== undefined) this.bosId = ids.bosId;
    if (ids.unkId !== undefined) this.unkId = ids.unkId;
    this.specialTokens = specialTokens;
    this.surface = surface;
    if (chatTemplate !== undefined) this.chatTemplate = chatTemplate;
  }

  encode(text: string, options: EncodeOptions = {}): Encoded {
    const enc = this.inner.encode(text, { add_special_tokens: options.addSpecialTokens ?? false });
    const offsets = alignOffsets(text, enc.tokens.map((t: string) => this.surface(t)));
    // Tokenizers.js yields undefined for text that is not in the vocabulary when the tokenizer has
    // no unk token (possible only for word-level vocabularies): it becomes unk, else padding.
    const ids = enc.ids.map((id: number | undefined) => id ?? this.unkId ?? this.padId);
    return { ids, offsets };
  }

  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    // Tokenizers.js rejects an empty list; the empty sequence decodes to the empty string.
    if (ids.length === 0) return '';
    return this.inner.decode([...ids], { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  idToToken(id: number): string | undefined {
    return this.inner.id_to_token(id);
  }

  tokenToId(token: string): number | undefined {
    return this.inner.token_to_id(token);
  }

  applyChatTemplate(messages: readonly ChatMessage[], options: { addGenerationPrompt?: boolean } = {}): string | undefined {
    if (this.chatTemplate === undefined) return undefined;
    this.template ??= new Template(this.chatTemplate);
    // Bounded: a downloaded template must not hang or exhaust the run (src/tokenizer/bounded-template.ts).
    return renderBounded(this.template, {
      ...this.specialTokens,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: options.addGenerationPrompt ?? false,
    });
  }
}

/** Loads a Hugging Face tokenizer directory (tokenizer.json, tokenizer_config.json, special_tokens_map.json). */
export function loadTokenizer(path: string): TokenizerLoadResult {
  const { files, errors } = readTokenizerFiles(path);
  if (files === undefined) return { ok: false, errors };
  const tokenizerFile = join(files.dir, 'tokenizer.json');
  const configFile = join(files.dir, 'tokenizer_config.json');

  const specialTokens: Record<string, string> = {};
  for (const key of SPECIAL_KEYS) {
    const value = tokenString(files.config[key]);
    if (value !== undefined) specialTokens[key] = value;
  }
  // Tokenizers.js wants a plain config with string special tokens and every top-level key present.
  const json: Record<string, unknown> = { normalizer: null, pre_tokenizer: null, post_processor: null, decoder: null, added_tokens: [], ...files.tokenizerJson };
  const innerConfig: Record<string, unknown> = { ...files.config, ...specialTokens };
  delete innerConfig.chat_template;
  let inner: HfTokenizer;
  try {
    inner = new HfTokenizer(json, innerConfig);
  } catch (e) {
    return { ok: false, errors: [{ file: tokenizerFile, message: `not a tokenizer Tokenizers.js can load: ${(e as Error).message}` }] };
  }

  const added = (json.added_tokens as Array<{ content?: unknown; id?: unknown }>).filter((t) => typeof t.content === 'string' && typeof t.id === 'number') as Array<{ content: string; id: number }>;
  const model = json.model as Record<string, unknown>;
  const vocab = model.vocab;
  let maxId = -1;
  if (Array.isArray(vocab)) maxId = vocab.length - 1;
  else for (const id of Object.values(vocab as Record<string, unknown>)) if (typeof id === 'number' && id > maxId) maxId = id;
  for (const t of added) maxId = Math.max(maxId, t.id);

  const problems: TokenizerLoadError[] = [];
  const idOf = (key: string): number | undefined => {
    const token = specialTokens[key];
    if (token === undefined) return undefined;
    const id = inner.token_to_id(token);
    if (id === undefined) problems.push({ file: configFile, message: `${key} "${token}" is not in the vocabulary of tokenizer.json` });
    return id;
  };
  let eosId = idOf('eos_token');
  if (eosId === undefined && specialTokens.eos_token === undefined) {
    const guess = EOS_GUESSES.find((t) => inner.token_to_id(t) !== undefined);
    if (guess !== undefined) {
      eosId = inner.token_to_id(guess);
      specialTokens.eos_token = guess;
    } else {
      problems.push({ file: configFile, message: 'no eos_token: name one in tokenizer_config.json (training appends it after each response)' });
    }
  }
  const bosId = idOf('bos_token');
  const unkId = idOf('unk_token');
  // The pad id only fills padding that never carries a loss, so eos (then 0) serves when there is none.
  const padId = idOf('pad_token') ?? eosId ?? 0;
  if (problems.length > 0 || eosId === undefined) return { ok: false, errors: problems };

  const unkToken = specialTokens.unk_token ?? (typeof model.unk_token === 'string' ? model.unk_token : undefined);
  const surface = surfaceFunction(json, new Set(added.map((t) => t.content)), unkToken);
  const chatTemplate = pickChatTemplate(files.config, files.chatTemplateFile);
  if (chatTemplate !== undefined) {
    try {
      new Template(chatTemplate);
    } catch (e) {
      return { ok: false, errors: [{ file: configFile, message: `chat_template does not parse: ${(e as Error).message}` }] };
    }
  }
  const ids: { vocabSize: number; padId: number; eosId: number; bosId?: number; unkId?: number } = { vocabSize: maxId + 1, padId, eosId };
  if (bosId !== undefined) ids.bosId = bosId;
  if (unkId !== undefined) ids.unkId = unkId;
  return { ok: true, tokenizer: new HfBackedTokenizer(files, inner, ids, specialTokens, surface, chatTemplate) };
}

/** One line per error, `FILE: message`, for command-line output. */
export function formatTokenizerErrors(errors: readonly TokenizerLoadError[]): string {
  return errors.map((e) => `${e.file}: ${e.message}`).join('\n');
}
