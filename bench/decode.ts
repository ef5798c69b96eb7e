// Generation's bench rows (issue 16): generated tokens/s of a greedy decode with a key/value cache,
// the tfjs engine (backend auto: wasm-blas where a BLAS is found) against the PyTorch peer's cached
// greedy decode (peer.py --decode: a plain loop over a key/value cache, as Hugging Face `generate`
// runs), in the same run, batch 1 and batch 8, on the toy and small shapes: DECODE_BENCH.promptTokens
// prompt tokens and DECODE_BENCH.newTokens new tokens per row, median of DECODE_BENCH.reps timed
// repetitions after DECODE_BENCH.warmup. Both sides decode a gpt2 of the configuration's shape with
// random weights and random prompts; each side checks its cached tokens against its own full
// recompute first, so the timing is of a real cached decode.
//
//   node dist/bench/decode.js [--config toy,small] [--json]     (also part of `npm run bench`)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CONFIGS, type ConfigName, type ModelBenchConfig } from './configs.js';
import { median } from './measured.js';
import { DECODE_BENCH, findPeerPython, peerVerdict, probePeerBlas, runPeerDecode } from './peer.js';

export interface DecodeRow {
  config: ConfigName;
  batch: number;
  engine: string;
  isPeer: boolean;
  tokensPerS: number;
  prefillMs: number;
  /** The engine's cached greedy tokens equal its full recompute's. */
  checked: boolean;
  /** Ours over the peer's tokens/s, on our rows. */
  vsPeer?: number;
}

/** In the child: one tfjs row, timed in this process on the auto backend. */
async function tfjsChild(config: ModelBenchConfig, batch: number): Promise<Omit<DecodeRow, 'config' | 'isPeer'>> {
  const tf = await import('@tensorflow/tfjs');
  const { initBackend } = await import('../src/backend/index.js');
  const { activeBlas } = await import('../src/backend/blas/matmul.js');
  const { plainSgemm } = await import('../src/backend/blas/plain-sgemm.js');
  const { createModel, presetConfig } = await import('../src/model/index.js');
  const { cachedDecoder } = await import('../src/model/decode/cached-forward.js');
  const { decodeRows } = await import('../src/generate/decode-loop.js');
  const { mulberry32 } = await import('../src/util/prng.js');
  const { argmax } = await import('../src/generate/sampling.js');
  const backend = await initBackend('auto');
  const modelConfig = presetConfig(config.name, { vocabSize: config.vocab })!;
  const model = createModel(modelConfig, 1);
  const weights = new Map([...model.params].map(([n, v]) => [n, Float32Array.from(v.dataSync() as Float32Array)]));
  const blas = activeBlas();
  const decoder = cachedDecoder(modelConfig, weights, blas?.sgemm ?? plainSgemm);
  const rng = mulberry32(2);
  const prompts = Array.from({ length: batch }, () => Array.from({ length: DECODE_BENCH.promptTokens }, () => Math.floor(rng() * config.vocab)));
  // eos -1: no row stops early, every row generates newTokens.
  const request = { prompts, options: { maxNew: DECODE_BENCH.newTokens, temperature: 0, topK: 0, topP: 1, n: 1, seed: 1 }, eosId: -1, batch };
  // The check: the first tokens of row 0 by full recompute through the tfjs ops.
  const check = Math.min(8, DECODE_BENCH.newTokens);
  const cached = (await decodeRows(decoder, { ...request, options: { ...request.options, maxNew: check } }))[0]!.ids;
  const seq = [...prompts[0]!];
  for (let i = 0; i < check; i++) {
    const last = tf.tidy(() => model.logits(tf.tensor2d(seq, [1, seq.length], 'int32')).slice([0, seq.length - 1, 0], [1, 1, -1]).dataSync() as Float32Array);
    seq.push(argmax(last));
  }
  const checked = seq.slice(prompts[0]!.length).every((id, i) => id === cached[i]);
  model.dispose();
  for (let i = 0; i < DECODE_BENCH.warmup; i++) await decodeRows(decoder, request);
  const total: number[] = [];
  const prefill: number[] = [];
  for (let i = 0; i < DECODE_BENCH.reps; i++) {
    let start = performance.now();
    decoder.begin(batch, DECODE_BENCH.promptTokens + DECODE_BENCH.newTokens);
    decoder.append(prompts.map((ids, row) => ({ row, ids })));
    prefill.push(performance.now() - start);
    start = performance.now();
    await decodeRows(decoder, request);
    total.push(performance.now() - start);
  }
  return {
    batch, engine: `tfjs ${backend.name}${blas !== undefined ? ` (${blas.description})` : ''}`, checked,
    tokensPerS: (batch * DECODE_BENCH.newTokens) / (median(total) / 1000), prefillMs: median(prefill),
  };
}

/** Every decode row of `configs`: ours (each in its own process) and the peer's, with the ratio. */
export function decodeBench(configs: readonly ConfigName[], log: (line: string) => void): { rows: DecodeRow[]; peerMissing?: string } {
  const lookup = findPeerPython();
  const rows: DecodeRow[] = [];
  for (const name of configs) {
    const config = CONFIGS[name];
    if (config.kind !== 'model') continue;
    for (const batch of DECODE_BENCH.batches) {
      log(`decode ${name}, batch ${batch}: tfjs ...`);
      const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--tfjs-child', JSON.stringify({ config, batch })], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (child.status !== 0) throw new Error(`decode bench child failed (exit ${child.status}): ${child.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      const ours: DecodeRow = { config: name, isPeer: false, ...(JSON.parse(child.stdout.trim().split('\n').pop()!) as Omit<DecodeRow, 'config' | 'isPeer'>) };
      rows.push(ours);
      if (!lookup.ok) continue;
      log(`decode ${name}, batch ${batch}: peer ...`);
      const p = runPeerDecode(lookup.python, config, batch);
      rows.push({ config: name, batch, engine: `peer ${p.backend}`, isPeer: true, tokensPerS: p.tokensPerS, prefillMs: median(p.prefillMs), checked: p.matchesFullRecompute });
      ours.vsPeer = ours.tokensPerS / p.tokensPerS;
    }
  }
  return lookup.ok ? { rows } : { rows, peerMissing: lookup.reason };
}

export function printDecodeTable(rows: readonly DecodeRow[], peerMissing?: string): void {
  console.log(`\nDecode: greedy with a key/value cache, ${DECODE_BENCH.promptTokens} prompt tokens and ${DECODE_BENCH.newTokens} new tokens per row, median of ${DECODE_BENCH.reps} (goal: ours ≥ 1.5× the peer)`);
  if (peerMissing !== undefined) console.log(`peer missing: ${peerMissing}`);
  console.log(`${'config'.padEnd(7)}${'batch'.padEnd(7)}${'tok/s'.padStart(9)}${'prefill ms'.padStart(12)}${'vs peer'.padStart(9)}  engine`);
  for (const r of rows) {
    const ratio = r.vsPeer === undefined ? '' : `${r.vsPeer.toFixed(2)}×`;
    console.log(`${r.config.padEnd(7)}${String(r.batch).padEnd(7)}${r.tokensPerS.toFixed(0).padStart(9)}${r.prefillMs.toFixed(1).padStart(12)}${ratio.padStart(9)}  ${r.engine}${r.checked ? '' : '  (cached tokens differ from a full recompute!)'}`);
  }
}

const args = process.argv.slice(2);
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (args[0] === '--tfjs-child') {
    const { config, batch } = JSON.parse(args[1]!) as { config: ModelBenchConfig; batch: number };
    process.stdout.write(`${JSON.stringify(await tfjsChild(config, batch))}\n`);
  } else {
    const at = args.indexOf('--config');
    const configs = (at >= 0 ? args[at + 1]!.split(',') : ['toy', 'small']) as ConfigName[];
    const unknown = configs.filter((c) => CONFIGS[c]?.kind !== 'model');
    if (unknown.length > 0) {
      process.stderr.write(`bench decode: --config ${unknown.join(',')}: expected model configurations (toy, small)\n`);
      process.exit(2);
    }
    const json = args.includes('--json');
    // Alone (npm run bench prints this in its header): the peer's BLAS and its 1024³ matMul speed.
    const peer = findPeerPython();
    const verdict = peer.ok ? peerVerdict(probePeerBlas(peer.python, 2)).line : undefined;
    const result = decodeBench(configs, (line) => void (json ? undefined : process.stderr.write(`bench: ${line}\n`)));
    if (json) console.log(JSON.stringify({ ...result, peer: verdict ?? null }, null, 2));
    else {
      if (verdict !== undefined) console.log(verdict);
      printDecodeTable(result.rows, result.peerMissing);
    }
  }
}
