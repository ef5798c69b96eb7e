// A miniature GPT/llama training step used to check that the wasm backend has every kernel and
// gradient a real one needs, with the same numbers as the cpu backend: embedding gather, RMSNorm and
// a hand-written LayerNorm, rotary position embedding (sin/cos), causal attention (matMul with
// transposeB, where-mask, softmax), a tanh-GELU and a SwiGLU MLP, tied output embedding
// (transposeB), cross-entropy through logSoftmax, and a GFT-style `where(p > τ, 1, sg(p))` weight.
import * as tf from '@tensorflow/tfjs';
import { stopGradient } from '../../src/backend/index.js';
import { seeded } from './helpers.js';

export const DIMS = { batch: 2, time: 6, vocab: 13, width: 8, heads: 2, hidden: 12 };

export type Params = Record<'table' | 'wq' | 'wk' | 'wv' | 'wo' | 'gate' | 'up' | 'down' | 'gain' | 'lnScale' | 'lnShift', tf.Tensor>;

export function makeParams(): Params {
  const { vocab, width, hidden } = DIMS;
  const t = (shape: number[], seed: number, scale = 0.5) => tf.mul(tf.tensor(seeded(shape.reduce((a, b) => a * b, 1), seed), shape), scale);
  return {
    table: t([vocab, width], 1),
    wq: t([width, width], 2),
    wk: t([width, width], 3),
    wv: t([width, width], 4),
    wo: t([width, width], 5),
    gate: t([width, hidden], 6),
    up: t([width, hidden], 7),
    down: t([hidden, width], 8),
    gain: tf.add(1, t([width], 9, 0.1)),
    lnScale: tf.add(1, t([width], 10, 0.1)),
    lnShift: t([width], 11, 0.1),
  };
}

export const IDS = [
  [1, 5, 5, 12, 0, 3],
  [7, 7, 7, 2, 11, 4],
];

function rmsNorm(x: tf.Tensor, gain: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), 1e-5))), gain);
}

function layerNorm(x: tf.Tensor, scale: tf.Tensor, shift: tf.Tensor): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.div(centred, tf.sqrt(tf.add(variance, 1e-5))), scale), shift);
}

/** Rotary embedding on [batch, heads, time, headWidth]: rotate pairs (first half, second half). */
function rotary(x: tf.Tensor): tf.Tensor {
  const [, , time, hw] = x.shape as [number, number, number, number];
  const half = hw / 2;
  const freqs = tf.pow(10000, tf.div(tf.range(0, half), -half));
  const angles = tf.mul(tf.reshape(tf.range(0, time), [time, 1]), tf.reshape(freqs, [1, half]));
  const cos = tf.concat([tf.cos(angles), tf.cos(angles)], -1);
  const sin = tf.concat([tf.sin(angles), tf.sin(angles)], -1);
  const [x1, x2] = tf.split(x, 2, -1) as [tf.Tensor, tf.Tensor];
  const rotated = tf.concat([tf.neg(x2), x1], -1);
  return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
}

function gelu(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
  return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
}

/** The loss of one step; every parameter receives a gradient. */
export function loss(p: Params): tf.Scalar {
  const { batch, time, width, heads, vocab } = DIMS;
  const hw = width / heads;
  const ids = tf.tensor2d(IDS, [batch, time], 'int32');
  const x0 = tf.gather(p.table, ids); // [B,T,d]
  const h = rmsNorm(x0, p.gain);
  // Rank-3 × rank-2 matMul: its gradient for the weight sums over the batch axis.
  const split = (t: tf.Tensor) => tf.transpose(tf.reshape(t, [batch, time, heads, hw]), [0, 2, 1, 3]);
  const q = rotary(split(tf.matMul(h, p.wq)));
  const k = rotary(split(tf.matMul(h, p.wk)));
  const v = split(tf.reshape(tf.matMul(tf.reshape(h, [batch * time, width]), p.wv), [batch, time, width]));
  const scores = tf.div(tf.matMul(q, k, false, true), Math.sqrt(hw)); // [B,H,T,T]
  const rows = tf.reshape(tf.range(0, time, 1, 'int32'), [time, 1]);
  const cols = tf.reshape(tf.range(0, time, 1, 'int32'), [1, time]);
  const causal = tf.broadcastTo(tf.greaterEqual(rows, cols), scores.shape);
  const masked = tf.where(causal, scores, tf.fill(scores.shape, -1e9));
  const attn = tf.matMul(tf.softmax(masked), v); // [B,H,T,hw]
  const merged = tf.reshape(tf.transpose(attn, [0, 2, 1, 3]), [batch * time, width]);
  const x1 = tf.add(tf.reshape(x0, [batch * time, width]), tf.matMul(merged, p.wo));
  const n2 = layerNorm(x1, p.lnScale, p.lnShift);
  const gate = tf.matMul(n2, p.gate);
  const swiglu = tf.mul(tf.mul(gate, tf.sigmoid(gate)), gelu(tf.matMul(n2, p.up)));
  const x2 = tf.add(x1, tf.matMul(swiglu, p.down));
  const logits = tf.matMul(x2, p.table, false, true); // tied embedding: transposeB
  const targets = tf.oneHot(tf.reshape(tf.concat([tf.slice(ids, [0, 1], [batch, time - 1]), tf.zeros([batch, 1], 'int32')], 1), [-1]), vocab);
  const logp = tf.sum(tf.mul(tf.logSoftmax(logits), targets), -1); // [B·T]
  const p1 = tf.exp(logp);
  // GFT-style weighting; the comparison sits on the differentiated path (zero gradient).
  const weight = tf.where(tf.greater(p1, 0.05), tf.onesLike(p1), stopGradient(p1));
  const ce = tf.neg(tf.mean(tf.mul(weight, logp)));
  // Odd extras exercised by objectives: erf, softplus, cumsum, max, prod.
  const extras = tf.mean(tf.add(tf.erf(tf.cumsum(tf.reshape(logp, [batch, time]), 1)), tf.softplus(tf.max(tf.reshape(logits, [batch * time, vocab]), 1).reshape([batch, time]))));
  const prod = tf.prod(tf.add(1, tf.mul(0.01, tf.slice(logp, [0], [4]))));
  return tf.add(tf.add(ce, tf.mul(0.1, extras)), prod) as tf.Scalar;
}

/** Loss value and gradients (parameter name → flat values) on the active backend. */
export function lossAndGrads(): { loss: number; grads: Record<string, Float32Array> } {
  return tf.tidy(() => {
    const params = makeParams();
    const names = Object.keys(params) as Array<keyof Params>;
    const f = (...xs: tf.Tensor[]) => loss(Object.fromEntries(names.map((n, i) => [n, xs[i]!])) as Params);
    const { value, grads } = tf.valueAndGrads(f)(names.map((n) => params[n]));
    return {
      loss: value.dataSync()[0]!,
      grads: Object.fromEntries(names.map((n, i) => [n, grads[i]!.dataSync() as Float32Array])),
    };
  });
}
