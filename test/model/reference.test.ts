// The tfjs models against the independent PyTorch implementation in
// scripts/reference/make_fixtures.py: logits, the next-token loss and its gradients, on weights
// stored as F32 (gpt2, tied head) and BF16 (llama, GQA, untied head).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/model/hf-dir.js';
import type { CausalLM } from '../../src/model/types.js';
import { FIXTURES, flatten, maxAbsDiff, useCpuBackend } from './helpers.js';

interface Reference {
  stored_dtype: string;
  input_ids: number[][];
  logits: unknown;
  loss: number;
  grads: Record<string, number[]>;
}

const LOGIT_TOLERANCE = 1e-4;
const LOSS_TOLERANCE = 1e-5;
const GRAD_TOLERANCE = 1e-5;

/** The loss make_fixtures.py differentiates: mean next-token cross-entropy. */
function nextTokenCe(model: CausalLM, ids: tf.Tensor2D): tf.Scalar {
  const [batch, seq] = ids.shape;
  const logits = model.logits(ids);
  const vocab = logits.shape[2];
  const logp = tf.logSoftmax(tf.slice(logits, [0, 0, 0], [batch, seq - 1, vocab]));
  const targets = tf.oneHot(tf.reshape(tf.slice(ids, [0, 1], [batch, seq - 1]), [-1]), vocab);
  return tf.neg(tf.mean(tf.sum(tf.mul(tf.reshape(logp, [-1, vocab]), targets), -1))) as tf.Scalar;
}

for (const name of ['gpt2-tiny', 'llama-tiny']) {
  describe(`model/reference: ${name} against PyTorch`, () => {
    useCpuBackend();
    const dir = path.join(FIXTURES, name);
    const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as Reference;
    let model: CausalLM;
    let ids: tf.Tensor2D;

    before(async () => {
      model = await loadModel(dir);
      ids = tf.tensor2d(ref.input_ids, undefined, 'int32');
    });
    after(() => {
      model.dispose();
      ids.dispose();
    });

    it(`matches the reference logits within ${LOGIT_TOLERANCE} (max abs)`, () => {
      const logits = model.logits(ids);
      const expected = flatten(ref.logits);
      assert.deepEqual(logits.shape, [ref.input_ids.length, ref.input_ids[0]!.length, model.config.vocabSize]);
      // The logits must be far from trivial for the comparison to mean anything.
      assert.ok(Math.max(...expected.map(Math.abs)) > 1, 'reference logits are not degenerate');
      const diff = maxAbsDiff(logits.dataSync(), expected);
      logits.dispose();
      assert.ok(diff < LOGIT_TOLERANCE, `max abs difference ${diff}`);
    });

    it('hidden × outputEmbeddingᵀ equals logits', () => {
      const viaHidden = tf.tidy(() => tf.einsum('bsh,vh->bsv', model.hidden(ids), model.outputEmbedding()));
      const logits = model.logits(ids);
      assert.ok(maxAbsDiff(viaHidden.dataSync(), logits.dataSync()) < 1e-5);
      tf.dispose([viaHidden, logits]);
    });

    it('matches the reference loss and its gradients', () => {
      const names = Object.keys(ref.grads);
      const vars = names.map((n) => model.params.get(n)!);
      assert.ok(vars.every((v) => v !== undefined), 'every graded weight exists');
      const { value, grads } = tf.variableGrads(() => nextTokenCe(model, ids), vars);
      assert.ok(Math.abs(value.dataSync()[0]! - ref.loss) < LOSS_TOLERANCE, `loss ${value.dataSync()[0]} vs ${ref.loss}`);
      for (const [i, n] of names.entries()) {
        const expected = ref.grads[n]!;
        assert.ok(expected.some((g) => Math.abs(g) > 1e-4), `${n}: reference gradient is not all zero`);
        // variableGrads keys by the tf variable's own name (model-prefixed), not the HF name.
        const diff = maxAbsDiff(grads[vars[i]!.name]!.dataSync(), expected);
        assert.ok(diff < GRAD_TOLERANCE, `${n}: gradient max abs difference ${diff}`);
      }
      tf.dispose([value, ...Object.values(grads)]);
    });

    it('has finite gradients of mean(logits) for every weight', () => {
      const { value, grads } = tf.variableGrads(() => tf.mean(model.logits(ids)) as tf.Scalar, [...model.params.values()]);
      assert.equal(Object.keys(grads).length, model.params.size);
      for (const [n, g] of Object.entries(grads)) assert.ok(g.dataSync().every(Number.isFinite), `${n} has a non-finite gradient`);
      tf.dispose([value, ...Object.values(grads)]);
    });
  });
}
