// The safetensors reader and writer: byte-exact round trips (F32, F16, BF16, the PyTorch-written
// fixture included) and one typed, named error for every kind of corruption.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ModelFileError } from '../../src/model/errors.js';
import { decodeSafetensors, encodeSafetensors, readSafetensors, writeSafetensors, type TensorEntry } from '../../src/model/safetensors.js';
import type { DType } from '../../src/model/dtype.js';
import { FIXTURES, useTempDir } from './helpers.js';

/** A file with a hand-made header (object or raw text) and data buffer. */
function rawFile(header: unknown, data: Uint8Array = new Uint8Array(0), declaredLength?: number): Uint8Array {
  const text = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(declaredLength ?? text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  return out;
}

function sample(dtype: DType): Map<string, TensorEntry> {
  const a = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i * 1.7) * 10 ** (i % 5 - 2));
  return new Map<string, TensorEntry>([
    ['layer.weight', { dtype, shape: [3, 4], values: a }],
    ['layer.bias', { dtype, shape: [4], values: Float32Array.from([0, -0, 1e-3, -65504]) }],
    ['scalar', { dtype, shape: [], values: Float32Array.from([2.5]) }],
    ['empty', { dtype, shape: [0, 4], values: new Float32Array(0) }],
  ]);
}

function assertModelFileError(fn: () => unknown, file: string, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${String(e)}`);
    assert.equal(e.file, file);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('model/safetensors', () => {
  const tmp = useTempDir();

  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    it(`round-trips ${dtype} byte for byte, keeping order, shapes and metadata`, () => {
      const bytes = encodeSafetensors(sample(dtype), { format: 'pt' });
      const decoded = decodeSafetensors(bytes, 'x.safetensors');
      assert.deepEqual([...decoded.tensors.keys()], ['layer.weight', 'layer.bias', 'scalar', 'empty']);
      assert.deepEqual(decoded.metadata, { format: 'pt' });
      assert.deepEqual(decoded.tensors.get('layer.weight')!.shape, [3, 4]);
      assert.equal(decoded.tensors.get('scalar')!.dtype, dtype);
      assert.deepEqual(Buffer.from(encodeSafetensors(decoded.tensors, decoded.metadata)), Buffer.from(bytes));
    });
  }

  it('stores F32 values exactly and pads the header to 8 bytes with spaces', () => {
    const bytes = encodeSafetensors(sample('F32'));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(n % 8, 0);
    const decoded = decodeSafetensors(bytes, 'x');
    assert.deepEqual([...decoded.tensors.get('layer.weight')!.values], [...sample('F32').get('layer.weight')!.values]);
  });

  it('rewrites the PyTorch-written BF16 and F32 fixtures byte for byte', async () => {
    for (const name of ['llama-tiny', 'gpt2-tiny']) {
      const file = path.join(FIXTURES, name, 'model.safetensors');
      const contents = await readSafetensors(file);
      const out = path.join(tmp(), `${name}.safetensors`);
      await writeSafetensors(out, contents.tensors, contents.metadata);
      assert.ok(Buffer.from(readFileSync(out)).equals(readFileSync(file)), name);
    }
  });

  it('reads the same from a file as from memory', async () => {
    const bytes = encodeSafetensors(sample('BF16'));
    const file = path.join(tmp(), 'same.safetensors');
    writeFileSync(file, bytes);
    const a = await readSafetensors(file);
    const b = decodeSafetensors(bytes, file);
    assert.deepEqual([...a.tensors.entries()], [...b.tensors.entries()]);
  });

  it('reads I32 and I64 tensors as int32', () => {
    const data = new Uint8Array(8 + 16);
    const view = new DataView(data.buffer);
    view.setInt32(0, -7, true);
    view.setInt32(4, 9, true);
    view.setBigInt64(8, -3n, true);
    view.setBigInt64(16, 123456n, true);
    const bytes = rawFile({ a: { dtype: 'I32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'I64', shape: [2], data_offsets: [8, 24] } }, data);
    const t = decodeSafetensors(bytes, 'ints').tensors;
    assert.ok(t.get('a')!.values instanceof Int32Array);
    assert.deepEqual([...t.get('a')!.values], [-7, 9]);
    assert.deepEqual([...t.get('b')!.values], [-3, 123456]);
  });

  describe('corrupt files give ModelFileError naming file and tensor', () => {
    const f32 = (shape: number[], offsets: [number, number]) => ({ dtype: 'F32', shape, data_offsets: offsets });
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['empty file', new Uint8Array(0), /too short/],
      ['5-byte file', new Uint8Array(5), /too short/],
      ['header length beyond the file', rawFile({}, new Uint8Array(0), 1000), /header length 1000 runs past the end/],
      ['header length of 2^62', rawFile({}, new Uint8Array(0), 2 ** 62), /runs past the end/],
      ['bad JSON', rawFile('{"a": {"dtype": '), /not valid UTF-8 JSON/],
      ['invalid UTF-8', rawFile(Uint8Array.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])), /not valid UTF-8 JSON.*encoded data was not valid/],
      ['header an array', rawFile([1, 2]), /not a JSON object/],
      ['entry not an object', rawFile({ w: 3 }), /tensor "w": header entry is not an object/],
      ['unknown dtype', rawFile({ w: { dtype: 'Q4_K', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)), /tensor "w": unsupported dtype "Q4_K"/],
      ['missing dtype', rawFile({ w: { shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /tensor "w": unsupported dtype undefined/],
      ['negative shape', rawFile({ w: f32([-1], [0, 4]) }, new Uint8Array(4)), /tensor "w": shape \[-1\]/],
      ['fractional shape', rawFile({ w: f32([1.5], [0, 4]) }, new Uint8Array(4)), /tensor "w": shape/],
      ['offsets not a pair', rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, new Uint8Array(4)), /tensor "w": data_offsets \[0\]/],
      ['offsets backwards', rawFile({ w: f32([0], [4, 0]) }, new Uint8Array(4)), /tensor "w": data_offsets \[4, 0\] run backwards/],
      ['offsets out of range', rawFile({ w: f32([2], [0, 8]) }, new Uint8Array(4)), /tensor "w": data_offsets \[0, 8\] run past the end of the data \(4 bytes\)/],
      ['size mismatch', rawFile({ w: f32([3], [0, 8]) }, new Uint8Array(8)), /tensor "w": shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] hold 8/],
      ['overlap', rawFile({ a: f32([2], [0, 8]), b: f32([2], [4, 12]) }, new Uint8Array(12)), /tensor "b": data_offsets \[4, 12\] overlap those of "a"/],
      ['I64 beyond int32', rawFile({ n: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8).fill(0x7f)), /tensor "n": I64 element 0 does not fit/],
      ['bad metadata', rawFile({ __metadata__: { a: 1 } }), /__metadata__: __metadata__ must be an object of strings/],
    ];
    for (const [label, bytes, pattern] of cases) {
      it(`${label} (in memory)`, () => assertModelFileError(() => decodeSafetensors(bytes, 'bad.safetensors'), 'bad.safetensors', pattern));
      it(`${label} (from disk)`, async () => {
        const file = path.join(tmp(), `${label.replace(/\W+/g, '-')}.safetensors`);
        writeFileSync(file, bytes);
        await assert.rejects(readSafetensors(file), (e: unknown) => {
          assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${String(e)}`);
          assert.equal(e.file, file);
          assert.match(e.message, pattern);
          return true;
        });
      });
    }

    it('a truncated copy of a real file names the cut tensor', () => {
      const full = readFileSync(path.join(FIXTURES, 'gpt2-tiny', 'model.safetensors'));
      const cut = full.subarray(0, full.length - 100);
      assertModelFileError(() => decodeSafetensors(cut, 'cut.safetensors'), 'cut.safetensors', /tensor "transformer\.ln_f\.bias": data_offsets .* run past the end/);
    });

    it('a missing file is a ModelFileError too', async () => {
      await assert.rejects(readSafetensors(path.join(tmp(), 'nope.safetensors')), (e: unknown) => e instanceof ModelFileError && /ENOENT/.test(e.message));
    });
  });
});
