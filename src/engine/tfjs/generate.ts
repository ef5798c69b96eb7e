// The tfjs engine's generation: the model loaded as for training, its weights copied once to
// float32 arrays, and the cached decoder of src/model/decode/ run by the shared loop
// (src/generate/decode-loop.ts). Products go through the system BLAS when the backend bound one
// (`wasm-blas`), else through plain loops; the tfjs ops' full recompute (model.logits) is the
// reference the tests hold it to.
import { activeBlas } from '../../backend/blas/matmul.js';
import { plainSgemm } from '../../backend/blas/plain-sgemm.js';
import { decodeRows } from '../../generate/decode-loop.js';
import type { DecodeProgress, DecodeRequest } from '../../generate/types.js';
import { cachedDecoder, type CachedDecoder } from '../../model/decode/cached-forward.js';
import { kvCacheBytes } from '../../model/decode/kv-cache.js';
import { loadModel } from '../../model/index.js';
import type { CausalLM } from '../../model/types.js';
import type { DecodeResult, EngineOptions } from '../types.js';
import { startBackend } from '../../backend/start.js';

/** The key/value cache of one chunk of rows stays under this; the batch shrinks to fit. */
export const KV_CACHE_BUDGET_BYTES = 512 * 2 ** 20;

/** Rows decoded together by default: enough for the BLAS to see a matrix, few enough to keep the cache small. */
export const DEFAULT_DECODE_BATCH = 16;

/** The most rows (at most `requested`, halving) whose cache of `longest` tokens fits the budget; undefined when one row does not. */
export function fitDecodeBatch(numLayers: number, kvWidth: number, longest: number, requested: number): number | undefined {
  let batch = Math.max(1, requested);
  while (batch > 1 && kvCacheBytes(numLayers, batch, longest, kvWidth) > KV_CACHE_BUDGET_BYTES) batch = Math.floor(batch / 2);
  return kvCacheBytes(numLayers, batch, longest, kvWidth) > KV_CACHE_BUDGET_BYTES ? undefined : batch;
}

/**
 * The cached decoder over `model`'s weights as they are now (float32 copies, so the model may be
 * disposed or trained on afterwards), with products through the bound BLAS, else plain loops.
 */
export function decoderOf(model: CausalLM): CachedDecoder {
  const weights = new Map<string, Float32Array>();
  for (const [name, v] of model.params) weights.set(name, Float32Array.from(v.dataSync() as Float32Array));
  return cachedDecoder(model.config, weights, activeBlas()?.sgemm ?? plainSgemm);
}

export async function tfjsDecode(request: DecodeRequest, options: EngineOptions & { backend?: string }, progress?: DecodeProgress): Promise<DecodeResult> {
  const started = await startBackend(options.backend ?? 'auto');
  if (!started.ok) return { ok: false, problems: started.messages };
  const backendName = started.backend.name;
  let model: CausalLM;
  try {
    model = await loadModel(request.modelDir);
  } catch (e) {
    return { ok: false, problems: [(e as Error).message] };
  }
  const config = model.config;
  const decoder = decoderOf(model);
  model.dispose();
  const longest = Math.max(...request.prompts.map((p) => p.length)) + request.options.maxNew;
  const batch = fitDecodeBatch(config.numLayers, decoder.kvWidth, longest, request.batch ?? DEFAULT_DECODE_BATCH);
  if (batch === undefined) {
    return { ok: false, problems: [`${request.modelDir}: one row's key/value cache of ${longest} tokens needs more than ${KV_CACHE_BUDGET_BYTES / 2 ** 20} MiB; lower --max-new or shorten the prompts`] };
  }
  const rows = await decodeRows(decoder, { prompts: request.prompts, options: request.options, eosId: request.eosId, batch }, progress);
  const blas = activeBlas();
  const products = blas === undefined ? 'plain-loop products (no BLAS on this backend)' : `products by ${blas.description}`;
  return { ok: true, rows, notes: [`tfjs engine, backend ${backendName}: cached decode, ${batch} rows at a time, ${products}`] };
}
