// Generation's bench rows on their own (issue 16): the PyTorch peer's cached greedy decode at batch 1
// and batch 8 on the toy and small models, in generated tokens/s. The tfjs engine's rows are to be
// added beside these (same shape: DECODE_BENCH in peer.ts).
//
//   node dist/bench/decode.js [--config toy,small] [--json]
import { CONFIGS, type ConfigName } from './configs.js';
import { DECODE_BENCH, findPeerPython, runPeerDecode, type PeerDecodeResult } from './peer.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const at = args.indexOf('--config');
const configs = (at >= 0 ? args[at + 1]!.split(',') : ['toy', 'small']) as ConfigName[];
const unknown = configs.filter((c) => CONFIGS[c]?.kind !== 'model');
if (unknown.length > 0) {
  process.stderr.write(`bench decode: --config ${unknown.join(',')}: expected model configurations (toy, small)\n`);
  process.exit(2);
}
const lookup = findPeerPython();
if (!lookup.ok) {
  process.stderr.write(`bench decode: peer missing: ${lookup.reason}\n`);
  process.exit(1);
}
const rows: Array<PeerDecodeResult & { config: ConfigName }> = [];
for (const config of configs) {
  for (const batch of DECODE_BENCH.batches) rows.push({ config, ...runPeerDecode(lookup.python, CONFIGS[config], batch) });
}
if (json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(`prompt ${DECODE_BENCH.promptTokens} tokens, ${DECODE_BENCH.newTokens} new tokens per row, greedy, median of ${DECODE_BENCH.reps}`);
  for (const r of rows) {
    const prefill = [...r.prefillMs].sort((a, b) => a - b)[Math.floor((r.prefillMs.length - 1) / 2)]!;
    console.log(`${r.config.padEnd(6)} batch ${String(r.batch).padEnd(2)} ${r.tokensPerS.toFixed(0).padStart(7)} tok/s  prefill ${prefill.toFixed(1)} ms  ${r.backend}${r.matchesFullRecompute ? '' : '  (cached tokens differ from a full recompute!)'}`);
  }
}
