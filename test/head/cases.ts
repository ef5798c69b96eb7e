// Deterministic test inputs for the loss-head tests and the helpers that run a head and compare it.
import { strict as assert } from 'node:assert';
import * as tf from '@tensorflow/tfjs';
import type { TokenStats } from '../../src/head/fused-ce.js';
import { plainHead, type PlainHeadResult } from '../../src/head/plain-loops.js';
import { mulberry32 } from '../../src/util/prng.js';

/** The project's seeded generator, so every failure reproduces. */
export const seededRandom = mulberry32;

export interface HeadCase {
  name: string;
  tokens: number;
  width: number;
  vocab: number;
  hidden: Float32Array;
  weight: Float32Array;
  targets: Int32Array;
  ceWeight: Float32Array;
  entropyWeight: Float32Array;
}

export interface CaseOptions {
  name: string;
  tokens: number;
  width: number;
  vocab: number;
  seed: number;
  /** Rescale the weights so the largest |logit| is this (e.g. 80 for extreme logits). */
  maxLogit?: number;
  /** Token indices whose upstream weights are 0; their targets are set to `paddingTarget`. */
  masked?: number[];
  paddingTarget?: number;
  /** Make every weight row identical: all logits of a token tie. */
  tiedRows?: boolean;
  /** Give every token this target (duplicate targets: the scatter of dW must sum them). */
  sameTarget?: number;
}

export function makeCase(o: CaseOptions): HeadCase {
  const random = seededRandom(o.seed);
  const uniform = () => random() * 2 - 1;
  const hidden = Float32Array.from({ length: o.tokens * o.width }, uniform);
  const firstRow = Array.from({ length: o.width }, uniform);
  const weight = Float32Array.from({ length: o.vocab * o.width }, (_, i) => (o.tiedRows ? firstRow[i % o.width]! : uniform()));
  if (o.maxLogit !== undefined) {
    const { logits } = plainHead({ hidden, weight, targets: new Int32Array(o.tokens), tokens: o.tokens, width: o.width, vocab: o.vocab, ceWeight: new Float32Array(o.tokens) });
    const largest = logits.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    const scale = o.maxLogit / largest;
    for (let i = 0; i < weight.length; i++) weight[i] = weight[i]! * scale;
  }
  const targets = Int32Array.from({ length: o.tokens }, () => o.sameTarget ?? Math.floor(random() * o.vocab));
  const ceWeight = Float32Array.from({ length: o.tokens }, uniform);
  const entropyWeight = Float32Array.from({ length: o.tokens }, uniform);
  for (const t of o.masked ?? []) {
    ceWeight[t] = 0;
    entropyWeight[t] = 0;
    targets[t] = o.paddingTarget ?? 0;
  }
  return { name: o.name, tokens: o.tokens, width: o.width, vocab: o.vocab, hidden, weight, targets, ceWeight, entropyWeight };
}

export interface HeadOutputs {
  ce: Float32Array;
  entropy?: Float32Array;
  hiddenGrad: Float32Array;
  weightGrad: Float32Array;
}

export type Head = (hidden: tf.Tensor2D, weight: tf.Tensor2D, targets: tf.Tensor1D) => TokenStats;

/** Runs `head`, and tf.grads of Σ ceWeight·ce (+ Σ entropyWeight·entropy when returned). */
export function runHead(c: HeadCase, head: Head): HeadOutputs {
  const hidden = tf.tensor2d(c.hidden, [c.tokens, c.width]);
  const weight = tf.tensor2d(c.weight, [c.vocab, c.width]);
  const targets = tf.tensor1d(c.targets, 'int32');
  const ceWeight = tf.tensor1d(c.ceWeight);
  const entropyWeight = tf.tensor1d(c.entropyWeight);
  try {
    const stats = head(hidden, weight, targets);
    const ce = stats.ce.dataSync() as Float32Array;
    const entropy = stats.entropy?.dataSync() as Float32Array | undefined;
    tf.dispose([stats.ce, stats.entropy ?? []]);
    const loss = (h: tf.Tensor, w: tf.Tensor): tf.Tensor => {
      const s = head(h as tf.Tensor2D, w as tf.Tensor2D, targets);
      const ceTerm = tf.sum(tf.mul(s.ce, ceWeight));
      return s.entropy === undefined ? ceTerm : tf.add(ceTerm, tf.sum(tf.mul(s.entropy, entropyWeight)));
    };
    const [hiddenGrad, weightGrad] = tf.grads(loss)([hidden, weight]);
    const out = {
      ce: Float32Array.from(ce),
      entropy: entropy === undefined ? undefined : Float32Array.from(entropy),
      hiddenGrad: Float32Array.from(hiddenGrad!.dataSync()),
      weightGrad: Float32Array.from(weightGrad!.dataSync()),
    };
    tf.dispose([hiddenGrad!, weightGrad!]);
    return out;
  } finally {
    tf.dispose([hidden, weight, targets, ceWeight, entropyWeight]);
  }
}

export function runPlain(c: HeadCase, withEntropy: boolean): PlainHeadResult {
  return plainHead({ ...c, entropyWeight: withEntropy ? c.entropyWeight : undefined });
}

/**
 * Float32 against a reference: |actual − expected| ≤ rtol·(|expected| + scale) elementwise, where
 * `scale` is the largest |expected| in the vector (plus `floor`). Pure elementwise relative error is
 * meaningless for entries that cancel to ~0 (a ce of 1e-30 next to logits of 80); the vector's own
 * magnitude is what float32 rounding is proportional to.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, what: string, floor = 0): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = floor;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const bound = rtol * (Math.abs(e) + scale);
    assert.ok(Number.isFinite(a), `${what}[${i}] is ${a}`);
    assert.ok(Math.abs(a - e) <= bound, `${what}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${bound})`);
  }
}
