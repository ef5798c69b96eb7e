// The native trunk's element-wise and per-row passes, as straight loops over Float32Arrays laid out
// row-major ([rows, width]). Statistics are accumulated in float64 (JavaScript numbers) and each
// stored value is rounded once to float32. Their reference is the tfjs path of src/model/layers.ts,
// which computes the same functions op by op (test/model/native-trunk.test.ts compares the two).
import { fastExp } from './fast-exp.js';

/** out = LayerNorm(x)·gamma + beta per row; mean and 1/σ of each row saved for the backward. */
export function layerNormForward(
  x: Float32Array, gamma: Float32Array, beta: Float32Array, eps: number, rows: number, width: number,
  out: Float32Array, mean: Float32Array, rstd: Float32Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let sum = 0;
    for (let i = 0; i < width; i++) sum += x[o + i]!;
    const mu = sum / width;
    let sq = 0;
    for (let i = 0; i < width; i++) {
      const d = x[o + i]! - mu;
      sq += d * d;
    }
    const s = 1 / Math.sqrt(sq / width + eps);
    mean[r] = mu;
    rstd[r] = s;
    for (let i = 0; i < width; i++) out[o + i] = (x[o + i]! - mu) * s * gamma[i]! + beta[i]!;
  }
}

/**
 * The LayerNorm backward for upstream dOut: dx is ADDED to (the residual stream's gradient already
 * holds the skip path), dGamma and dBeta are overwritten.
 */
export function layerNormBackward(
  dOut: Float32Array, x: Float32Array, mean: Float32Array, rstd: Float32Array, gamma: Float32Array,
  rows: number, width: number, dxAdd: Float32Array, dGamma: Float32Array, dBeta: Float32Array,
): void {
  const dg = new Float64Array(width);
  const db = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    const mu = mean[r]!;
    const s = rstd[r]!;
    // mean(dx̂) and mean(dx̂·x̂) over the row, dx̂ = dOut·gamma.
    let m1 = 0;
    let m2 = 0;
    for (let i = 0; i < width; i++) {
      const xhat = (x[o + i]! - mu) * s;
      const d = dOut[o + i]!;
      const dxhat = d * gamma[i]!;
      m1 += dxhat;
      m2 += dxhat * xhat;
      dg[i] += d * xhat;
      db[i] += d;
    }
    m1 /= width;
    m2 /= width;
    for (let i = 0; i < width; i++) {
      const xhat = (x[o + i]! - mu) * s;
      dxAdd[o + i] += s * (dOut[o + i]! * gamma[i]! - m1 - xhat * m2);
    }
  }
  for (let i = 0; i < width; i++) {
    dGamma[i] = dg[i]!;
    dBeta[i] = db[i]!;
  }
}

/**
 * Every row of out [rows, width] set to bias: the product then adds onto it (beta = 1). The first
 * row is the bias, then the filled rows are copied after themselves, doubling: log₂(rows) block
 * copies instead of a call per row (a toy step filled 4,096 rows one by one, ~0.2 ms).
 */
export function fillRows(out: Float32Array, bias: Float32Array, rows: number, width: number): void {
  if (rows <= 0) return;
  out.set(bias.subarray(0, width), 0);
  for (let filled = 1; filled < rows;) {
    const n = Math.min(filled, rows - filled);
    out.copyWithin(filled * width, 0, n * width);
    filled += n;
  }
}

/** out[i] = Σ_r x[r, i]: a bias's gradient. */
export function columnSums(x: Float32Array, rows: number, width: number, out: Float32Array): void {
  const acc = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    for (let i = 0; i < width; i++) acc[i] += x[o + i]!;
  }
  for (let i = 0; i < width; i++) out[i] = acc[i]!;
}

// gelu_new / gelu_pytorch_tanh: x·σ(u), u = c·x·(1 + 0.044715·x²), c = 2·√(2/π); the same function
// as 0.5·x·(1 + tanh(u/2)) (layers.ts says why).
const TANH_C = 2 * Math.sqrt(2 / Math.PI);
const TANH_K = 0.044715;

/** act = gelu_tanh(pre); gate keeps σ(u) for the backward. */
export function geluTanhForward(pre: Float32Array, n: number, act: Float32Array, gate: Float32Array): void {
  for (let i = 0; i < n; i++) {
    const x = pre[i]!;
    const s = 1 / (1 + fastExp(-TANH_C * x * (1 + TANH_K * x * x)));
    gate[i] = s;
    act[i] = x * s;
  }
}

/** dPre = dAct · d/dx[x·σ(u)] = dAct·(σ + x·σ·(1 − σ)·u'), u' = c·(1 + 3·0.044715·x²). */
export function geluTanhBackward(pre: Float32Array, gate: Float32Array, dAct: Float32Array, n: number, dPre: Float32Array): void {
  for (let i = 0; i < n; i++) {
    const x = pre[i]!;
    const s = gate[i]!;
    dPre[i] = dAct[i]! * (s + x * s * (1 - s) * TANH_C * (1 + 3 * TANH_K * x * x));
  }
}

/**
 * erfc(x) with relative error below 1.2e-7 everywhere (the Chebyshev fit of Numerical Recipes'
 * erfcc): there is no Math.erf, and float32 activations need no more.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const ans = t * fastExp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? ans : 2 - ans;
}

/** The exact GELU x·Φ(x), Φ(x) = erfc(−x/√2)/2 kept in gate. */
export function geluErfForward(pre: Float32Array, n: number, act: Float32Array, gate: Float32Array): void {
  for (let i = 0; i < n; i++) {
    const x = pre[i]!;
    const phi = 0.5 * erfc(-x * Math.SQRT1_2);
    gate[i] = phi;
    act[i] = x * phi;
  }
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** dPre = dAct·(Φ(x) + x·φ(x)), φ the standard normal density. */
export function geluErfBackward(pre: Float32Array, gate: Float32Array, dAct: Float32Array, n: number, dPre: Float32Array): void {
  for (let i = 0; i < n; i++) {
    const x = pre[i]!;
    dPre[i] = dAct[i]! * (gate[i]! + x * INV_SQRT_2PI * fastExp(-0.5 * x * x));
  }
}

/**
 * In place over `count` consecutive [seq, seq] blocks of scaled scores: row i becomes the softmax
 * over columns j ≤ i, and the columns j > i become exactly 0 (what the tfjs path's −1e9 bias gives
 * after exp).
 */
export function causalSoftmax(blocks: Float32Array, count: number, seq: number): void {
  for (let row = 0; row < count * seq; row++) {
    const i = row % seq;
    const o = row * seq;
    let max = -Infinity;
    for (let j = 0; j <= i; j++) if (blocks[o + j]! > max) max = blocks[o + j]!;
    let sum = 0;
    for (let j = 0; j <= i; j++) {
      const e = fastExp(blocks[o + j]! - max);
      blocks[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j <= i; j++) blocks[o + j] = blocks[o + j]! * inv;
    for (let j = i + 1; j < seq; j++) blocks[o + j] = 0;
  }
}

/**
 * In place over `count` blocks: dP (the gradient of the probabilities) becomes the gradient of the
 * scores, P ⊙ (dP − rowsum(dP ⊙ P)); masked columns (P = 0) come out 0.
 */
export function causalSoftmaxBackward(probs: Float32Array, dP: Float32Array, count: number, seq: number): void {
  for (let row = 0; row < count * seq; row++) {
    const i = row % seq;
    const o = row * seq;
    let dot = 0;
    for (let j = 0; j <= i; j++) dot += dP[o + j]! * probs[o + j]!;
    for (let j = 0; j <= i; j++) dP[o + j] = probs[o + j]! * (dP[o + j]! - dot);
    for (let j = i + 1; j < seq; j++) dP[o + j] = 0;
  }
}

/** dst += src over n values (the residual stream). */
export function addInto(dst: Float32Array, src: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) dst[i] += src[i]!;
}

/** out = x / √(mean(x²) + eps) · gamma per row (llama's RMSNorm); 1/σ of each row kept. */
export function rmsNormForward(x: Float32Array, gamma: Float32Array, eps: number, rows: number, width: number, out: Float32Array, rstd: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    let sq = 0;
    for (let i = 0; i < width; i++) sq += x[o + i]! * x[o + i]!;
    const s = 1 / Math.sqrt(sq / width + eps);
    rstd[r] = s;
    for (let i = 0; i < width; i++) out[o + i] = x[o + i]! * s * gamma[i]!;
  }
}

/** The RMSNorm backward: dx is ADDED to, dGamma overwritten. */
export function rmsNormBackward(dOut: Float32Array, x: Float32Array, rstd: Float32Array, gamma: Float32Array, rows: number, width: number, dxAdd: Float32Array, dGamma: Float32Array): void {
  const dg = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    const o = r * width;
    const s = rstd[r]!;
    let m = 0;
    for (let i = 0; i < width; i++) {
      const xhat = x[o + i]! * s;
      m += dOut[o + i]! * gamma[i]! * xhat;
      dg[i] += dOut[o + i]! * xhat;
    }
    m /= width;
    for (let i = 0; i < width; i++) dxAdd[o + i] += s * (dOut[o + i]! * gamma[i]! - x[o + i]! * s * m);
  }
  for (let i = 0; i < width; i++) dGamma[i] = dg[i]!;
}

/** out = silu(gate)·up (llama's MLP); sig keeps σ(gate). */
export function swigluForward(gate: Float32Array, up: Float32Array, n: number, out: Float32Array, sig: Float32Array): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i]!;
    const s = 1 / (1 + fastExp(-g));
    sig[i] = s;
    out[i] = g * s * up[i]!;
  }
}

/** dGate = dOut·up·σ·(1 + g·(1 − σ)), dUp = dOut·silu(g). */
export function swigluBackward(gate: Float32Array, up: Float32Array, sig: Float32Array, dOut: Float32Array, n: number, dGate: Float32Array, dUp: Float32Array): void {
  for (let i = 0; i < n; i++) {
    const g = gate[i]!;
    const s = sig[i]!;
    const d = dOut[i]!;
    dUp[i] = d * g * s;
    dGate[i] = d * up[i]! * s * (1 + g * (1 - s));
  }
}

/**
 * Rotary positions in place over x [rows, heads·dim] (row r at position r mod seq), HF's
 * rotate_half convention: (x1, x2) → (x1·c − x2·s, x2·c + x1·s) over the two halves of each head.
 * direction −1 applies the inverse rotation: the backward, since a rotation's transpose is its inverse.
 */
export function rotateHalves(x: Float32Array, rows: number, seq: number, heads: number, dim: number, cos: Float32Array, sin: Float32Array, direction: 1 | -1): void {
  const half = dim / 2;
  const width = heads * dim;
  for (let r = 0; r < rows; r++) {
    const t = (r % seq) * dim;
    for (let h = 0; h < heads; h++) {
      const o = r * width + h * dim;
      for (let i = 0; i < half; i++) {
        const c = cos[t + i]!;
        const s = direction * sin[t + i]!;
        const x1 = x[o + i]!;
        const x2 = x[o + i + half]!;
        x[o + i] = x1 * c - x2 * s;
        x[o + i + half] = x2 * c + x1 * s;
      }
    }
  }
}

/** Every id must index the embedding: out-of-range ids would read outside it. `what` names the trunk. */
export function checkIds(ids: Int32Array, vocab: number, what: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!(id >= 0 && id < vocab)) throw new RangeError(`${what}: token id ${id} at position ${i} is outside the vocabulary [0, ${vocab})`);
  }
}

/** out[r] = table[ids[r]] (+ positions[r mod seq] when given): the token (and position) embedding. */
export function embedForward(table: Float32Array, positions: Float32Array | undefined, ids: Int32Array, rows: number, seq: number, width: number, out: Float32Array): void {
  for (let r = 0; r < rows; r++) {
    const t = ids[r]! * width;
    const p = (r % seq) * width;
    const o = r * width;
    for (let i = 0; i < width; i++) out[o + i] = table[t + i]! + (positions === undefined ? 0 : positions[p + i]!);
  }
}

/** The embedding's gradient: dTable (and dPositions) zeroed whole, then each row's gradient added to its id's row. */
export function embedBackward(dx: Float32Array, ids: Int32Array, rows: number, seq: number, width: number, dTable: Float32Array, dPositions: Float32Array | undefined): void {
  dTable.fill(0);
  dPositions?.fill(0);
  for (let r = 0; r < rows; r++) {
    const t = ids[r]! * width;
    const p = (r % seq) * width;
    const o = r * width;
    for (let i = 0; i < width; i++) {
      dTable[t + i] += dx[o + i]!;
      if (dPositions !== undefined) dPositions[p + i] += dx[o + i]!;
    }
  }
}
