// Element types of safetensors files and their conversion to and from the Float32Array / Int32Array
// that TensorFlow.js takes. Floats are widened exactly (F16 and BF16 are subsets of F32); narrowing
// rounds to nearest, ties to even, as PyTorch's `.to(torch.bfloat16)` and `.half()` do, so a
// widen-then-narrow round trip reproduces the original bits.

export type DType = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64';

export const BYTES_PER_ELEMENT: Record<DType, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8 };

export function isDType(s: unknown): s is DType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(BYTES_PER_ELEMENT, s);
}

export function isFloatDType(d: DType): boolean {
  return d === 'F32' || d === 'F16' || d === 'BF16';
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bfloat16 bits → float32 value (exact). */
export function bf16ToF32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

/** float32 value → bfloat16 bits, round to nearest even; NaN stays a (quiet) NaN. */
export function f32ToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7fffffff) > 0x7f800000) return ((x >>> 16) | 0x0040) & 0xffff;
  const roundingBias = 0x7fff + ((x >>> 16) & 1);
  return ((x + roundingBias) >>> 16) & 0xffff;
}

/** IEEE half bits → float32 value (exact, subnormals included). */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** float32 value → IEEE half bits, round to nearest even; overflow goes to ±Infinity. */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa !== 0 ? 0x200 : 0);
  // Unbiased exponent, rebias for half.
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the full 24-bit significand into place, rounding to even.
    if (e < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = significand & ((1 << shift) - 1);
    let out = significand >>> shift;
    if (rest > half || (rest === half && (out & 1) === 1)) out++;
    return sign | out;
  }
  let out = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (and can reach Infinity).
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1) === 1)) out++;
  return sign | out;
}

export type Values = Float32Array | Int32Array;

/**
 * Decodes little-endian `bytes` of `dtype` into the array tfjs takes. I64 values must fit in int32
 * (tfjs has no int64); `onRangeError` names the offending element otherwise.
 */
export function decodeValues(bytes: Uint8Array, dtype: DType, count: number, onRangeError: (index: number) => never): Values {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = bf16ToF32(view.getUint16(2 * i, true));
      return out;
    }
    case 'I32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case 'I64': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(8 * i, true);
        if (v > 2147483647n || v < -2147483648n) onRangeError(i);
        out[i] = Number(v);
      }
      return out;
    }
  }
}

/** Encodes `values` as little-endian `dtype` bytes (narrowing floats with round-to-nearest-even). */
export function encodeValues(values: Values, dtype: DType): Uint8Array {
  const count = values.length;
  const bytes = new Uint8Array(count * BYTES_PER_ELEMENT[dtype]);
  const view = new DataView(bytes.buffer);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < count; i++) view.setFloat32(4 * i, values[i]!, true);
      break;
    case 'F16':
      for (let i = 0; i < count; i++) view.setUint16(2 * i, f32ToF16(values[i]!), true);
      break;
    case 'BF16':
      for (let i = 0; i < count; i++) view.setUint16(2 * i, f32ToBf16(values[i]!), true);
      break;
    case 'I32':
      for (let i = 0; i < count; i++) view.setInt32(4 * i, Math.trunc(values[i]!), true);
      break;
    case 'I64':
      for (let i = 0; i < count; i++) view.setBigInt64(8 * i, BigInt(Math.trunc(values[i]!)), true);
      break;
  }
  return bytes;
}
