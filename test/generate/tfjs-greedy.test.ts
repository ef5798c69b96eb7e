// The tfjs engine's greedy decode against an independent reference: scripts/reference/
// make_greedy_fixtures.py decodes the fixture models greedily by full recompute (no cache) in
// float64 with plain PyTorch, from exactly the weights on disk. Token for token through the
// engine's decode (prompts of 3, 5 and 8 tokens in one batch), and every step's logits from the
// cache within 1e-4, for gpt2 and llama with F32 and BF16 weights.
import { strict as assert } from 'node:assert';
import path from 'node:path';
import { tfjsEngine } from '../../src/engine/tfjs/index.js';
import { plainSgemm } from '../../src/backend/blas/plain-sgemm.js';
import { cachedDecoder } from '../../src/model/decode/cached-forward.js';
import { loadModel } from '../../src/model/index.js';
import { assertClose } from '../backend/helpers.js';
import { FIXTURES, GREEDY_FIXTURES, greedyReference } from '../model/helpers.js';


describe('generate: tfjs greedy decode against the plain-PyTorch full-recompute references', () => {
  for (const name of GREEDY_FIXTURES) {
    const dir = path.join(FIXTURES, name);
    const ref = greedyReference(name);

    it(`${name} (${ref.stored_dtype}): the engine's greedy tokens equal the reference's, all prompts in one batch`, async () => {
      const r = await tfjsEngine.decode(
        { modelDir: dir, prompts: ref.prompts, options: { maxNew: ref.max_new, temperature: 0, topK: 0, topP: 1, n: 1, seed: 1 }, eosId: ref.eos_id },
        { backend: 'cpu' },
      );
      assert.ok(r.ok, r.ok ? '' : r.problems.join('\n'));
      assert.deepEqual(r.rows.map((row) => row.ids), ref.tokens);
      assert.ok(r.rows.every((row) => row.finish === 'length'));
    });

    it(`${name} (${ref.stored_dtype}): every step's cached logits within 1e-4 of the reference's`, async () => {
      const model = await loadModel(dir);
      const weights = new Map([...model.params].map(([n, v]) => [n, Float32Array.from(v.dataSync() as Float32Array)]));
      const decoder = cachedDecoder(model.config, weights, plainSgemm);
      model.dispose();
      decoder.begin(ref.prompts.length, 8 + ref.max_new);
      let logits = decoder.append(ref.prompts.map((ids, row) => ({ row, ids })));
      for (let s = 0; s < ref.max_new; s++) {
        ref.prompts.forEach((_, p) => assertClose(logits[p]!, ref.logits[p]![s]!, { abs: 1e-4, rel: 1e-4 }, `prompt ${p}, step ${s}`));
        if (s + 1 < ref.max_new) logits = decoder.append(ref.prompts.map((_, p) => ({ row: p, ids: [ref.tokens[p]![s]!] })));
      }
    });
  }
});
