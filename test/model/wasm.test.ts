// The PyTorch reference fixtures on the wasm backend (the one training uses without native
// TensorFlow): logits within the same tolerance as on cpu, and a gradient through every weight,
// which needs the embedding gather's gradient (UnsortedSegmentSum, registered by src/backend/).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../../src/model/hf-dir.js';
import { FIXTURES, flatten, maxAbsDiff } from './helpers.js';
import { useBackend } from '../backend/helpers.js';


describe('model/reference on the wasm backend', function () {
  useBackend('wasm');

  for (const name of ['gpt2-tiny', 'llama-tiny']) {
    it(`${name}: logits within 1e-4 of PyTorch, finite gradients for every weight`, async () => {
      assert.equal(tf.getBackend(), 'wasm');
      const dir = path.join(FIXTURES, name);
      const ref = JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as { input_ids: number[][]; logits: unknown };
      const model = await loadModel(dir);
      const ids = tf.tensor2d(ref.input_ids, undefined, 'int32');
      const logits = model.logits(ids);
      const diff = maxAbsDiff(logits.dataSync(), flatten(ref.logits));
      assert.ok(diff < 1e-4, `max abs difference ${diff}`);
      const { value, grads } = tf.variableGrads(() => tf.mean(model.logits(ids)) as tf.Scalar, [...model.params.values()]);
      assert.equal(Object.keys(grads).length, model.params.size);
      for (const [n, g] of Object.entries(grads)) assert.ok(g.dataSync().every(Number.isFinite), `${n} has a non-finite gradient`);
      const embeddingGrad = grads[model.params.get(name === 'gpt2-tiny' ? 'transformer.wte.weight' : 'model.embed_tokens.weight')!.name]!;
      assert.ok(embeddingGrad.dataSync().some((x) => x !== 0), 'the embedding receives a gradient');
      tf.dispose([logits, ids, value, ...Object.values(grads)]);
      model.dispose();
    });
  }
});
