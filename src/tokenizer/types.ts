// The tokenizer as the data pipeline, the groupers and the trainer see it. One implementation,
// hf-tokenizer.ts, wraps Tokenizers.js around a Hugging Face tokenizer directory.

/** Character span [start, end) in UTF-16 code units of the encoded string (JavaScript indices). */
export type Offset = [number, number];

export interface Encoded {
  ids: number[];
  /** offsets[i] is the span of `text` that token i covers; empty ([k, k]) for tokens not in the text. */
  offsets: Offset[];
}

export interface EncodeOptions {
  /**
   * Run the tokenizer's post-processor (e.g. a BOS that TemplateProcessing prepends). Default false:
   * the data pipeline adds what it needs itself, and chat templates already write their markers.
   */
  addSpecialTokens?: boolean;
}

export interface ChatMessage {
  role: string;
  content: string;
}

export interface Tokenizer {
  /** The directory (or file) the tokenizer came from, for messages. */
  readonly source: string;
  readonly vocabSize: number;
  readonly padId: number;
  readonly eosId: number;
  readonly bosId?: number;
  readonly unkId?: number;
  /** The Jinja chat template from tokenizer_config.json (or chat_template.jinja), when there is one. */
  readonly chatTemplate?: string;
  /** Token strings by name (`eos_token`, `bos_token`, ...) as the chat template sees them. */
  readonly specialTokens: Readonly<Record<string, string>>;
  encode(text: string, options?: EncodeOptions): Encoded;
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  /**
   * Renders `messages` through the chat template. Returns undefined when the tokenizer has none;
   * throws only on a template error, which renderChat in src/data turns into a DataError.
   */
  applyChatTemplate(messages: readonly ChatMessage[], options?: { addGenerationPrompt?: boolean }): string | undefined;
}

/** Why a tokenizer directory could not be loaded: the file at fault and what is wrong with it. */
export interface TokenizerLoadError {
  file: string;
  message: string;
}

export type TokenizerLoadResult = { ok: true; tokenizer: Tokenizer } | { ok: false; errors: TokenizerLoadError[] };
