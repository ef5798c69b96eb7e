// Reading and writing the safetensors format (https://huggingface.co/docs/safetensors):
//   8 bytes: little-endian u64 N, the header length
//   N bytes: JSON {"__metadata__"?: {str: str}, NAME: {dtype, shape, data_offsets: [begin, end]}, ...}
//   the byte buffer; offsets are relative to its start.
// Hand-written: the `safetensors` npm package is an empty 0.0.1 placeholder (docs/dependencies.md).
// Every check names the file and the tensor, and throws ModelFileError, never a RangeError.
//
// Writing follows the Rust reference implementation that `safetensors.torch.save_file` and
// transformers use: compact JSON with `__metadata__` first, tensors in data order, the header padded
// with spaces to a multiple of 8. Tensors keep their source dtype, so reading a file and writing it
// back reproduces it byte for byte when it was written that way (F32, F16, BF16).
import { open } from 'node:fs/promises';
import { writeFileAtomic } from '../util/atomic.js';
import { BYTES_PER_ELEMENT, decodeValues, encodeValues, isDType, type DType, type Values } from './dtype.js';
import { ModelFileError } from './errors.js';

export interface TensorEntry {
  dtype: DType;
  shape: number[];
  /** Widened to float32 for float dtypes; int32 for I32 and I64. */
  values: Values;
}

export interface SafetensorsContents {
  /** In the order of the file's byte buffer (which is the order writing uses). */
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string> | undefined;
}

interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

interface Header {
  /** Bytes before the data buffer: 8 + N. */
  dataStart: number;
  entries: HeaderEntry[];
  metadata: Record<string, string> | undefined;
}

/** A header this large is not a header; the Rust implementation caps it at 100 MB too. */
const MAX_HEADER_BYTES = 100_000_000;

function readHeaderLength(first8: Uint8Array, fileSize: number, file: string): number {
  if (fileSize < 8) throw new ModelFileError(file, `file is ${fileSize} bytes, too short for a safetensors header length (8 bytes)`);
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    throw new ModelFileError(file, `header length ${n} runs past the end of the file (${fileSize} bytes): truncated or not a safetensors file`);
  }
  if (n > BigInt(MAX_HEADER_BYTES)) throw new ModelFileError(file, `header length ${n} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  return Number(n);
}

function isNonNegativeInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}

/** Parses and validates the JSON header against the size of the data buffer. */
function parseHeader(headerBytes: Uint8Array, fileSize: number, file: string): Header {
  const dataStart = 8 + headerBytes.length;
  const dataSize = fileSize - dataStart;
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw new ModelFileError(file, `header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new ModelFileError(file, 'header is not a JSON object');

  let metadata: Record<string, string> | undefined;
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) {
        throw new ModelFileError(file, '__metadata__ must be an object of strings', '__metadata__');
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const fail = (detail: string): never => {
      throw new ModelFileError(file, detail, `tensor "${name}"`);
    };
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('header entry is not an object');
    const info = raw as Record<string, unknown>;
    if (!isDType(info.dtype)) {
      fail(`unsupported dtype ${JSON.stringify(info.dtype)} (supported: F32, F16, BF16, I32, I64)`);
    }
    const dtype = info.dtype as DType;
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) fail(`shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
      fail(`data_offsets ${JSON.stringify(offsets)} is not a pair of non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`data_offsets [${begin}, ${end}] run backwards`);
    if (end > dataSize) fail(`data_offsets [${begin}, ${end}] run past the end of the data (${dataSize} bytes): file truncated?`);
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = elements * BYTES_PER_ELEMENT[dtype];
    if (expected !== end - begin) {
      fail(`shape [${(shape as number[]).join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype, shape: [...(shape as number[])], begin, end });
  }

  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < entries.length; i++) {
    const prev = entries[i - 1]!;
    const cur = entries[i]!;
    if (cur.begin < prev.end) {
      throw new ModelFileError(file, `data_offsets [${cur.begin}, ${cur.end}] overlap those of "${prev.name}" [${prev.begin}, ${prev.end}]`, `tensor "${cur.name}"`);
    }
  }
  return { dataStart, entries, metadata };
}

function decodeEntry(entry: HeaderEntry, bytes: Uint8Array, file: string): TensorEntry {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const values = decodeValues(bytes, entry.dtype, count, (i) => {
    throw new ModelFileError(file, `I64 element ${i} does not fit in int32 (TensorFlow.js has no int64)`, `tensor "${entry.name}"`);
  });
  return { dtype: entry.dtype, shape: entry.shape, values };
}

/** Decodes a whole safetensors file held in memory. `file` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, file: string): SafetensorsContents {
  const headerLength = readHeaderLength(bytes.subarray(0, 8), bytes.length, file);
  const header = parseHeader(bytes.subarray(8, 8 + headerLength), bytes.length, file);
  const tensors = new Map<string, TensorEntry>();
  for (const e of header.entries) {
    tensors.set(e.name, decodeEntry(e, bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end), file));
  }
  return { tensors, metadata: header.metadata };
}

/**
 * Reads a safetensors file tensor by tensor (never the whole file at once), so peak memory is the
 * decoded weights plus one tensor's bytes. A missing or unreadable file is a ModelFileError too.
 */
export async function readSafetensors(path: string): Promise<SafetensorsContents> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw new ModelFileError(path, `cannot open: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const size = (await handle.stat()).size;
    const readAt = async (position: number, length: number): Promise<Uint8Array> => {
      const buffer = new Uint8Array(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead !== length) throw new ModelFileError(path, `short read at byte ${position} (file changed while reading?)`);
      return buffer;
    };
    const headerLength = readHeaderLength(await readAt(0, Math.min(8, size)), size, path);
    const header = parseHeader(await readAt(8, headerLength), size, path);
    const tensors = new Map<string, TensorEntry>();
    for (const e of header.entries) tensors.set(e.name, decodeEntry(e, await readAt(header.dataStart + e.begin, e.end - e.begin), path));
    return { tensors, metadata: header.metadata };
  } finally {
    await handle.close();
  }
}

/**
 * Checks a file's header against its size without decoding the tensors (a checkpoint chosen for a
 * resume is checked this way first): the problem in words, or undefined when the file is whole.
 */
export async function safetensorsProblem(path: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    return `${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot open (${(e as NodeJS.ErrnoException).code ?? String(e)})`}`;
  }
  try {
    const size = (await handle.stat()).size;
    const first8 = new Uint8Array(Math.min(8, size));
    await handle.read(first8, 0, first8.length, 0);
    const headerLength = readHeaderLength(first8, size, path);
    const header = new Uint8Array(headerLength);
    await handle.read(header, 0, headerLength, 8);
    parseHeader(header, size, path);
    return undefined;
  } catch (e) {
    return e instanceof ModelFileError ? e.message : `${path}: ${(e as Error).message}`;
  } finally {
    await handle.close();
  }
}

/** Serialises tensors in the given order, each in its own dtype. */
export function encodeSafetensors(tensors: ReadonlyMap<string, TensorEntry>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error('a tensor cannot be named __metadata__');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.values.length) throw new Error(`tensor "${name}": shape [${t.shape.join(', ')}] has ${count} elements but ${t.values.length} values were given`);
    const bytes = encodeValues(t.values, t.dtype);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const jsonBytes = new TextEncoder().encode(json);
  const padded = Math.ceil(jsonBytes.length / 8) * 8;
  json += ' '.repeat(padded - jsonBytes.length);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export async function writeSafetensors(path: string, tensors: ReadonlyMap<string, TensorEntry>, metadata?: Record<string, string>): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
