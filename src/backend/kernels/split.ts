// SplitV on wasm as block copies on the heap.
//
// Why: tfjs-backend-wasm 4.22 runs SplitV as one Slice per output, and its Slice is a generic
// strided loop: splitting attention's fused q|k|v projection ([8,128,768] into three [8,128,256],
// once per layer and its gradient's concat's partner) took 30 ms of CPU per `small` step. Along any
// axis the parts are contiguous runs of `size · inner` values, once per outer index: each is one
// typed-array copy (a memmove).
import * as tf from '@tensorflow/tfjs';
import type { DataType, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { wasmInternals, type HeapArray } from '../tfjs-internals.js';


/**
 * Copies part j of x (viewed as [outer, total, inner], split along the middle axis into `sizes`)
 * into outs[j] ([outer, sizes[j], inner]).
 */
export function splitInto(x: HeapArray, outer: number, inner: number, sizes: readonly number[], outs: HeapArray[]): void {
  const total = sizes.reduce((a, b) => a + b, 0);
  let offset = 0;
  sizes.forEach((size, j) => {
    const run = size * inner;
    const out = outs[j]!;
    for (let o = 0; o < outer; o++) {
      const from = (o * total + offset) * inner;
      out.set(x.subarray(from, from + run), o * run);
    }
    offset += size;
  });
}

export function wrapSplit(original: KernelFunc): KernelFunc {
  return (params) => {
    const x = params.inputs['x'];
    if (x === undefined) throw new Error('SplitV: expected input x');
    if (x.dtype === 'string' || x.dtype === 'complex64') return original(params);
    const axis = tf.util.parseAxisParam(params.attrs?.['axis'] as number, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, params.attrs?.['numOrSizeSplits'] as number | number[], axis) as number[];
    const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const backend = wasmInternals(params.backend);
    const outs = sizes.map((size) => backend.makeOutput(x.shape.map((d, i) => (i === axis ? size : d)), x.dtype));
    // Views after all allocations: growing the wasm memory detaches earlier ones.
    splitInto(backend.typedArrayFromHeap(x), outer, inner, sizes, outs.map((o) => backend.typedArrayFromHeap(o)));
    return outs;
  };
}
