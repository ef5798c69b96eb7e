// The Hugging Face files of the bundled tokenizer: tokenizer.json (the fast-tokenizer format that
// both `tokenizers` and Tokenizers.js read), tokenizer_config.json and special_tokens_map.json, as
// transformers' save_pretrained writes them for a GPT-2-style byte-level BPE.
import type { BpeModel } from './bpe.js';

export const SPECIAL_TOKENS = ['<pad>', '<eos>', '<unk>', '<|im_start|>', '<|im_end|>'] as const;

/** ChatML, the format the data loader's fallback also uses, so both render chats identically. */
export const CHAT_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

function addedToken(content: string, id: number) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

export function tokenizerJson(model: BpeModel): object {
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t) => addedToken(t, model.vocab.get(t)!)),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      // Empty strings rather than null: tokenizers releases before Option<String> fields reject null.
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(model.vocab),
      // Space-separated strings: byte-level tokens never contain a space, and every version of
      // `tokenizers` reads this form.
      merges: model.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

export function tokenizerConfig(model: BpeModel, maxLength: number): object {
  return {
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: Object.fromEntries(SPECIAL_TOKENS.map((t) => {
      const { id, ...rest } = addedToken(t, model.vocab.get(t)!);
      return [String(id), rest];
    })),
    additional_special_tokens: ['<|im_start|>', '<|im_end|>'],
    bos_token: null,
    chat_template: CHAT_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: '<eos>',
    model_max_length: maxLength,
    pad_token: '<pad>',
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: '<unk>',
  };
}

export function specialTokensMap(): object {
  return { additional_special_tokens: ['<|im_start|>', '<|im_end|>'], eos_token: '<eos>', pad_token: '<pad>', unk_token: '<unk>' };
}
