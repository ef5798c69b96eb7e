// BatchMatMul on wasm with a batch > 1: fold the batch into rows, or loop over 2-D products.
//
// Why: tfjs-backend-wasm 4.22 sends only batch-1, untransposed products to XNNPACK; anything with
// a batch runs a plain blocked loop in C++. Measured in Node: [32,128,32]×[32,32,128] takes
// 33.7 ms batched against 1.9 ms as 32 separate 2-D calls. Attention (q·kᵀ, p·v) and the
// gradients of every rank-3 product are batched, so training spent much of its time there.
//
//  * b without a batch (or batch 1), e.g. [B,T,d]×[d,e]: a's batch folds into its rows — one
//    [B·T, d]×[d, e] product on the same buffer, no copy.
//  * otherwise (equal batches, or a broadcast a): one 2-D product per batch entry. Each slice is
//    copied out of the wasm heap into a fresh buffer (a memmove, cheap next to the product) and
//    the result copied into the output. Fresh buffers matter: XNNPACK caches the packed right-hand
//    operand by tensor id, so reusing one id with new contents would read stale weights.
//
// Transposed operands are not handled here: wrapTransposedMatMul (outside this wrapper) has
// already materialised them, so this wrapper only sees plain products. Broadcasts over several
// axes ([2,1]×[1,3]) loop too: the stock kernel returns a wrong shape for them (18 values for a
// [2,1,3,4]×[1,3,4,2] product that has 36, measured).
import type { DataType, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { wasmInternals } from '../tfjs-internals.js';

function product(xs: readonly number[]): number {
  return xs.reduce((x, y) => x * y, 1);
}

function single(result: TensorInfo | TensorInfo[]): TensorInfo {
  return Array.isArray(result) ? result[0]! : result;
}

/**
 * The output batch shape of two batch shapes under numpy broadcasting, or undefined when they do
 * not broadcast (the original kernel then reports the error).
 */
export function broadcastBatchShape(aBatch: readonly number[], bBatch: readonly number[]): number[] | undefined {
  const rank = Math.max(aBatch.length, bBatch.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = aBatch[aBatch.length - rank + i] ?? 1;
    const y = bBatch[bBatch.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(Math.max(x, y));
  }
  return out;
}

/** For each flat index of the output batch, the flat index into an operand's batch (broadcast axes repeat). */
export function batchIndexMap(operandBatch: readonly number[], outBatch: readonly number[]): Int32Array {
  const total = product(outBatch);
  const map = new Int32Array(total);
  const padded = [...Array<number>(outBatch.length - operandBatch.length).fill(1), ...operandBatch];
  for (let i = 0; i < total; i++) {
    let rest = i;
    let index = 0;
    let stride = 1;
    for (let axis = outBatch.length - 1; axis >= 0; axis--) {
      const coordinate = rest % outBatch[axis]!;
      rest = Math.floor(rest / outBatch[axis]!);
      if (padded[axis] !== 1) index += coordinate * stride;
      stride *= padded[axis]!;
    }
    map[i] = index;
  }
  return map;
}

export function wrapBatchedMatMul(original: KernelFunc): KernelFunc {
  return (params) => {
    const attrs = params.attrs ?? {};
    const a = params.inputs['a'];
    const b = params.inputs['b'];
    if (a === undefined || b === undefined) throw new Error('BatchMatMul: expected inputs a and b');
    if (attrs['transposeA'] === true || attrs['transposeB'] === true || a.dtype !== 'float32' || b.dtype !== 'float32') return original(params);
    const aBatch = a.shape.slice(0, -2);
    const bBatch = b.shape.slice(0, -2);
    const batchA = product(aBatch);
    const batchB = product(bBatch);
    if (batchA <= 1 && batchB <= 1) return original(params);
    const outBatch = broadcastBatchShape(aBatch, bBatch);
    if (outBatch === undefined) return original(params);

    const [m, k] = a.shape.slice(-2) as [number, number];
    const n = b.shape[b.shape.length - 1]!;
    const backend = wasmInternals(params.backend);
    const call = (x: TensorInfo, y: TensorInfo): TensorInfo =>
      single(original({ inputs: { a: x, b: y }, backend: params.backend, attrs: { ...attrs, transposeA: false, transposeB: false } }));

    if (batchB === 1) {
      const out = call({ ...a, shape: [1, batchA * m, k] }, { ...b, shape: [1, k, n] });
      return { ...out, shape: [...outBatch, m, n] };
    }

    const out = backend.makeOutput([...outBatch, m, n], 'float32');
    const aIndex = batchIndexMap(aBatch, outBatch);
    const bIndex = batchIndexMap(bBatch, outBatch);
    for (let i = 0; i < aIndex.length; i++) {
      const temporaries: TensorInfo[] = [];
      const slice = (x: TensorInfo, count: number, entry: number, rows: number, cols: number): TensorInfo => {
        if (count === 1) return { ...x, shape: [1, rows, cols] };
        const part = backend.makeOutput([1, rows, cols], 'float32');
        temporaries.push(part);
        // Views are taken after the allocation: growing the heap detaches earlier ones.
        const size = rows * cols;
        backend.typedArrayFromHeap(part).set(backend.typedArrayFromHeap(x).subarray(entry * size, (entry + 1) * size));
        return part;
      };
      try {
        const result = call(slice(a, batchA, aIndex[i]!, m, k), slice(b, batchB, bIndex[i]!, k, n));
        temporaries.push(result);
        backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(result), i * m * n);
      } finally {
        for (const t of temporaries) backend.disposeData(t.dataId);
      }
    }
    return out;
  };
}
