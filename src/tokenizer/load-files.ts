// Reading the files of a Hugging Face tokenizer directory, with errors that name the file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { TokenizerLoadError } from './types.js';

export interface TokenizerFiles {
  dir: string;
  tokenizerJson: Record<string, unknown>;
  /** tokenizer_config.json, merged over special_tokens_map.json; {} when neither exists. */
  config: Record<string, unknown>;
  /** chat_template.jinja, when the directory has one (newer transformers write it there). */
  chatTemplateFile?: string;
}

function readJson(file: string, errors: TokenizerLoadError[]): Record<string, unknown> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    errors.push({ file, message: `cannot read: ${(e as Error).message}` });
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      errors.push({ file, message: 'must hold a JSON object' });
      return undefined;
    }
    return value as Record<string, unknown>;
  } catch (e) {
    errors.push({ file, message: `not valid JSON: ${(e as Error).message}` });
    return undefined;
  }
}

/** `path` is a directory holding tokenizer.json, or the tokenizer.json file itself. */
export function readTokenizerFiles(path: string): { files?: TokenizerFiles; errors: TokenizerLoadError[] } {
  const errors: TokenizerLoadError[] = [];
  if (!existsSync(path)) return { errors: [{ file: path, message: 'no such file or directory' }] };
  const isDir = statSync(path).isDirectory();
  const dir = isDir ? path : join(path, '..');
  const tokenizerFile = isDir ? join(dir, 'tokenizer.json') : path;
  if (!existsSync(tokenizerFile)) {
    return { errors: [{ file: tokenizerFile, message: 'missing: a tokenizer directory needs tokenizer.json (the fast-tokenizer format of Hugging Face tokenizers)' }] };
  }
  const tokenizerJson = readJson(tokenizerFile, errors);
  if (tokenizerJson !== undefined) {
    const model = tokenizerJson.model as Record<string, unknown> | undefined;
    if (model === undefined || typeof model !== 'object' || model === null) {
      errors.push({ file: tokenizerFile, message: 'has no "model" object' });
    } else if (model.vocab === undefined || typeof model.vocab !== 'object') {
      errors.push({ file: tokenizerFile, message: '"model" has no "vocab"' });
    }
    if (tokenizerJson.added_tokens !== undefined && !Array.isArray(tokenizerJson.added_tokens)) {
      errors.push({ file: tokenizerFile, message: '"added_tokens" must be a list' });
    }
  }
  let config: Record<string, unknown> = {};
  for (const name of ['special_tokens_map.json', 'tokenizer_config.json']) {
    const file = join(dir, name);
    if (existsSync(file)) {
      const value = readJson(file, errors);
      if (value !== undefined) config = { ...config, ...value };
    }
  }
  const jinja = join(dir, 'chat_template.jinja');
  const chatTemplateFile = existsSync(jinja) ? readFileSync(jinja, 'utf8') : undefined;
  if (errors.length > 0 || tokenizerJson === undefined) return { errors };
  const files: TokenizerFiles = { dir, tokenizerJson, config };
  if (chatTemplateFile !== undefined) files.chatTemplateFile = chatTemplateFile;
  return { files, errors };
}
