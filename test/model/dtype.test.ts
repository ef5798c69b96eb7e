// F16 / BF16 conversions against the bits torch produces (test/fixtures/models/dtype-cases.json):
// rounding to nearest even, subnormals, overflow to infinity, and exact widening.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bf16ToF32, decodeValues, encodeValues, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/model/dtype.js';
import { FIXTURES } from './helpers.js';

interface Cases {
  f32_bits: number[];
  f16_bits: number[];
  bf16_bits: number[];
}

const cases = JSON.parse(readFileSync(path.join(FIXTURES, 'dtype-cases.json'), 'utf8')) as Cases;
// The float32 values themselves, reinterpreted from their bit patterns.
const values = new Float32Array(Int32Array.from(cases.f32_bits).buffer);

describe('model/dtype', () => {
  it('has a non-trivial case list', () => {
    assert.ok(values.length > 200);
    assert.ok(values.some((v) => v !== 0 && Math.abs(v) < 6.1e-5), 'a half subnormal');
    assert.ok(values.some((v) => Math.abs(v) > 65520), 'a half overflow');
  });

  it('narrows float32 to F16 exactly as torch does', () => {
    values.forEach((v, i) => assert.equal(f32ToF16(v), cases.f16_bits[i]! & 0xffff, `value ${v}`));
  });

  it('narrows float32 to BF16 exactly as torch does', () => {
    values.forEach((v, i) => assert.equal(f32ToBf16(v), cases.bf16_bits[i]! & 0xffff, `value ${v}`));
  });

  it('widens F16 and BF16 exactly, so narrowing again gives the same bits', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const h = f16ToF32(bits);
      if (!Number.isNaN(h)) assert.equal(f32ToF16(h), bits, `f16 ${bits.toString(16)}`);
      const b = bf16ToF32(bits);
      if (!Number.isNaN(b)) assert.equal(f32ToBf16(b), bits, `bf16 ${bits.toString(16)}`);
    }
  });

  it('keeps NaN a NaN in both narrow types', () => {
    assert.ok(Number.isNaN(f16ToF32(f32ToF16(NaN))));
    assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(NaN))));
  });

  it('decodes and encodes I32 and I64, refusing I64 beyond int32', () => {
    const i32 = Int32Array.from([0, -1, 2147483647, -2147483648]);
    const back = decodeValues(encodeValues(i32, 'I64'), 'I64', 4, () => assert.fail('in range'));
    assert.deepEqual([...back], [...i32]);
    assert.deepEqual([...decodeValues(encodeValues(i32, 'I32'), 'I32', 4, () => assert.fail())], [...i32]);
    const big = new Uint8Array(8);
    new DataView(big.buffer).setBigInt64(0, 2n ** 40n, true);
    assert.throws(() => decodeValues(big, 'I64', 1, (i) => { throw new Error(`element ${i}`); }), /element 0/);
  });
});
