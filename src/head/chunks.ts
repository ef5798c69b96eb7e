// Vocabulary chunking shared by the fused head's forward and backward passes.
import * as tf from '@tensorflow/tfjs';

/** Half-open vocabulary ranges [start, start + size) covering 0..vocab. */
export function vocabChunks(vocab: number, chunkSize: number): Array<{ start: number; size: number }> {
  const chunks: Array<{ start: number; size: number }> = [];
  for (let start = 0; start < vocab; start += chunkSize) chunks.push({ start, size: Math.min(chunkSize, vocab - start) });
  return chunks;
}

/** One vocabulary chunk of the output weight, in both layouts the passes need. */
export interface WeightChunk {
  start: number;
  size: number;
  /** W[start, start+size): [size, H], for dL/dhidden = dL/dl · rows. */
  rows: tf.Tensor2D;
  /** rowsᵀ: [H, size], for logits = h · rowsᵀ (an explicit transpose: see below). */
  rowsT: tf.Tensor2D;
}

/**
 * Slices the weight into chunks once per forward pass; the backward reuses them (they are saved by
 * the custom gradient, V·H floats in each layout) instead of slicing again. Slicing is not cheap on
 * wasm: its Slice kernel copies the whole input tensor to read one slice (30 ms per 4,096-row chunk
 * of a 32,768 × 256 weight). The transpose is explicit because matMul's transposeB flag is 10–20x
 * slower on wasm.
 */
export function sliceWeight(weight: tf.Tensor2D, chunkSize: number): WeightChunk[] {
  const width = weight.shape[1];
  return vocabChunks(weight.shape[0], chunkSize).map(({ start, size }) => {
    const rows = tf.slice(weight, [start, 0], [size, width]);
    return { start, size, rows, rowsT: tf.transpose(rows) };
  });
}

/** The tensors of `chunks`, rows first: what the custom gradient saves. */
export function chunkTensors(chunks: WeightChunk[]): tf.Tensor2D[] {
  return [...chunks.map((c) => c.rows), ...chunks.map((c) => c.rowsT)];
}

/** Inverse of chunkTensors, given the same vocabulary and chunk size. */
export function chunksFromTensors(tensors: tf.Tensor[], vocab: number, chunkSize: number): WeightChunk[] {
  const ranges = vocabChunks(vocab, chunkSize);
  if (tensors.length !== 2 * ranges.length) throw new Error(`loss head: expected ${2 * ranges.length} saved chunk tensors, got ${tensors.length}`);
  return ranges.map(({ start, size }, i) => ({
    start, size, rows: tensors[i] as tf.Tensor2D, rowsT: tensors[ranges.length + i] as tf.Tensor2D,
  }));
}

/**
 * Returns `value` after disposing `used`: frees a big intermediate the moment its successor exists,
 * rather than at the end of the enclosing tidy, which is what bounds the head's peak memory.
 */
export function freeing<T extends tf.Tensor>(value: T, ...used: tf.Tensor[]): T {
  tf.dispose(used);
  return value;
}
