// config.json of an LLMLingua-2 compressor: a BERT (`bert`) or XLM-RoBERTa (`xlm-roberta`,
// `roberta`) encoder with a token-classification head. Only what the encoder computes is read;
// anything it would compute differently (another activation, absolute positions replaced by
// relative ones) is refused with the key named.
import { ModelFileError } from '../../model/errors.js';

export interface EncoderConfig {
  family: 'bert' | 'roberta';
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  padId: number;
  /**
   * Position id of the first token. BERT counts from 0; RoBERTa from padding_idx + 1, because its
   * position ids are cumulative sums over non-padding tokens offset by the padding index.
   */
  positionOffset: number;
}

export function parseEncoderConfig(raw: Record<string, unknown>, file: string): EncoderConfig {
  const problems: string[] = [];
  const int = (key: string, fallback?: number): number => {
    const v = raw[key];
    if (v === undefined || v === null) {
      if (fallback === undefined) problems.push(`missing required key "${key}"`);
      return fallback ?? 0;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push(`"${key}" must be a non-negative integer, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const type = String(raw['model_type'] ?? '');
  const family = type === 'bert' ? 'bert' : type === 'xlm-roberta' || type === 'roberta' ? 'roberta' : undefined;
  if (family === undefined) problems.push(`"model_type" must be bert, xlm-roberta or roberta, got ${JSON.stringify(raw['model_type'])}`);
  const act = raw['hidden_act'] ?? 'gelu';
  if (act !== 'gelu') problems.push(`"hidden_act" ${JSON.stringify(act)} is not supported (only the exact erf "gelu" of BERT and XLM-RoBERTa)`);
  const posType = raw['position_embedding_type'] ?? 'absolute';
  if (posType !== 'absolute') problems.push(`"position_embedding_type" ${JSON.stringify(posType)} is not supported (only "absolute")`);
  const eps = raw['layer_norm_eps'] ?? 1e-12;
  if (typeof eps !== 'number' || !(eps > 0)) problems.push(`"layer_norm_eps" must be a positive number, got ${JSON.stringify(eps)}`);
  const padId = int('pad_token_id', family === 'roberta' ? 1 : 0);
  const config: EncoderConfig = {
    family: family ?? 'bert',
    vocabSize: int('vocab_size'),
    hiddenSize: int('hidden_size'),
    numLayers: int('num_hidden_layers'),
    numHeads: int('num_attention_heads'),
    intermediateSize: int('intermediate_size'),
    maxPositions: int('max_position_embeddings', 512),
    typeVocabSize: int('type_vocab_size', 2),
    layerNormEps: Number(eps),
    padId,
    positionOffset: family === 'roberta' ? padId + 1 : 0,
  };
  if (config.numHeads > 0 && config.hiddenSize % config.numHeads !== 0) problems.push(`"hidden_size" ${config.hiddenSize} is not a multiple of "num_attention_heads" ${config.numHeads}`);
  if (problems.length > 0) throw new ModelFileError(file, problems.join('; '));
  return config;
}
