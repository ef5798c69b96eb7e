// The committed base model (assets/default/model/, written by scripts/pretrain.ts) is a complete,
// loadable model directory that really was pretrained: on the corpus blocks it never trained on
// its ce is far below ln(vocab), the ce of a model that knows nothing. On the bundled eval answers
// the comparison is made on the answer tokens that occur in the corpus: the answers' conversational
// filler ("Great question. I hope that answers ...") uses ~900 ids the corpus never contains, which
// pretraining on corpus.txt alone drives far below chance (docs/bundled-model.md); fine-tuning
// teaches them in a few steps.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/index.js';
import { loadDataset, loadTextCorpus, makeBatches } from '../../src/data/index.js';
import type { Sample } from '../../src/data/types.js';
import { createModel, loadModel } from '../../src/model/index.js';
import type { CausalLM } from '../../src/model/types.js';
import { loadTokenizer, type Tokenizer } from '../../src/tokenizer/index.js';
import { resolveRunConfig } from '../../src/train/config.js';
import { evaluate } from '../../src/train/evaluate.js';
import { meanCe } from '../../src/train/objective.js';
import { splitHoldout } from '../../scripts/pretrain/holdout.js';
import { repoRoot } from '../helpers/golden.js';

// repoRoot, not this file's directory: CI runs the compiled copy under dist/test/.
const ROOT = repoRoot;
const ASSETS = join(ROOT, 'assets', 'default');
const MODEL_DIR = join(ASSETS, 'model');
const EVAL_SAMPLES = 16;

function meanCeOn(model: CausalLM, samples: readonly Sample[], padId: number): number {
  const batches = makeBatches(samples, { batchSize: 8, seed: 0, epoch: 0, padId, shuffle: false });
  return evaluate(model, meanCe, batches, { step: 0, totalSteps: 1 }).ce;
}

describe('bundled pretrained base model (assets/default/model)', function () {
  this.timeout(60000);
  let tokenizer: Tokenizer;
  let previousBackend: string | undefined;
  before(async () => {
    // wasm: tfjs's plain-JS cpu backend takes a minute over these forward passes.
    previousBackend = tf.getBackend();
    await initBackend('wasm');
    const tok = loadTokenizer(join(ROOT, 'assets', 'default', 'tokenizer'));
    assert.ok(tok.ok);
    tokenizer = tok.tokenizer;
  });
  after(async () => {
    // Other test files expect the backend they chose (or tfjs's default, cpu, in Node).
    await tf.setBackend(previousBackend ?? 'cpu');
  });

  it('is a complete Hugging Face directory with the bundled tokenizer and a pretraining log', () => {
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'pretrain.json']) {
      assert.ok(existsSync(join(MODEL_DIR, f)), `${f} missing`);
    }
    // The copy is the bundled tokenizer, byte for byte, so fine-tuning and the model agree on ids.
    assert.equal(readFileSync(join(MODEL_DIR, 'tokenizer.json'), 'utf8'), readFileSync(join(ROOT, 'assets', 'default', 'tokenizer', 'tokenizer.json'), 'utf8'));
    const log = JSON.parse(readFileSync(join(MODEL_DIR, 'pretrain.json'), 'utf8'));
    assert.ok(log.steps > 0);
    assert.ok(log.held_out_ce_final < log.held_out_ce_start - 2, `corpus ce ${log.held_out_ce_start} → ${log.held_out_ce_final}`);
  });

  it('loads with the tokenizer vocabulary and predicts held-out text far better than chance', async () => {
    const model = await loadModel(MODEL_DIR);
    const fresh = createModel(model.config, 1);
    try {
      assert.equal(model.config.vocabSize, tokenizer.vocabSize);
      const config = JSON.parse(readFileSync(join(MODEL_DIR, 'config.json'), 'utf8'));
      assert.equal(config.eos_token_id, tokenizer.eosId);
      const chance = Math.log(tokenizer.vocabSize);
      const log = JSON.parse(readFileSync(join(MODEL_DIR, 'pretrain.json'), 'utf8'));

      // The pretraining run's own held-out rule: blocks it never trained on.
      const corpus = loadTextCorpus(join(ASSETS, 'corpus.txt'), { tokenizer, blockLen: log.blocks.block_len });
      assert.deepEqual(corpus.errors, []);
      const heldOut = splitHoldout(corpus.samples, Number(/every (\d+)/.exec(log.blocks.held_out_rule)![1])).heldOut.slice(0, 8);
      const corpusCe = meanCeOn(model, heldOut, tokenizer.padId);
      assert.ok(Math.abs(meanCeOn(fresh, heldOut, tokenizer.padId) - chance) < 0.5, 'a fresh model scores about ln(vocab)');
      assert.ok(corpusCe < 0.5 * chance, `held-out corpus ce ${corpusCe} is not clearly below ln(vocab) = ${chance}`);

      // Eval answers (never seen: pretraining read no question), on the tokens of the corpus's vocabulary.
      const corpusIds = new Set(corpus.samples.flatMap((b) => b.ids));
      const data = loadDataset(join(ASSETS, 'data', 'eval.jsonl'), { tokenizer, format: 'auto', maxLen: 512, lossOn: 'response', skipBadRecords: false });
      assert.deepEqual(data.errors, []);
      const answers = data.samples.slice(0, EVAL_SAMPLES).map((s) => ({ ...s, lossMask: s.lossMask.map((on, i) => on && corpusIds.has(s.ids[i]!)) }));
      assert.ok(answers.every((s) => s.lossMask.some(Boolean)));
      const answerCe = meanCeOn(model, answers, tokenizer.padId);
      const freshAnswerCe = meanCeOn(fresh, answers, tokenizer.padId);
      assert.ok(answerCe < 0.7 * chance && answerCe < freshAnswerCe - 2, `eval answer ce ${answerCe} (fresh model ${freshAnswerCe}, ln(vocab) ${chance})`);
    } finally {
      model.dispose();
      fresh.dispose();
    }
  });

  it('is what a run with no model { } block trains', () => {
    const { config, errors } = resolveRunConfig({}, { objectiveName: 'q', sourceFile: join(ROOT, 'examples', 'x.sftgo'), packageRoot: ROOT, cwd: ROOT });
    assert.deepEqual(errors, []);
    assert.deepEqual(config.model, { path: MODEL_DIR });
  });
});
