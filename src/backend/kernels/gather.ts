// GatherV2 on wasm as a straight loop over the heap (row copies).
//
// Why: tfjs-backend-wasm 4.22's Gather reads the wrong rows when batchDims > 0 (measured:
// gather([[0..4],[10..14],[20..24]], [[0,1],[2,3],[4,0]], axis 1, batchDims 1) gives
// [[0,1],[13,14],[0,1e-40]] instead of [[0,1],[12,13],[24,20]]) — silently wrong, sometimes
// "memory access out of bounds". With batchDims = 0 it is right but computes every element's
// source position separately: the embedding lookup and the loss head's row gathers took 27 ms of
// CPU per `small` step, where copying whole rows (one memmove each) takes about a millisecond. So
// every gather runs here; batchDims = 0 is the case batchSize = 1.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { wasmInternals, type HeapArray } from '../tfjs-internals.js';


export interface GatherLayout {
  batchSize: number;
  outerSize: number;
  dimSize: number;
  sliceSize: number;
  outputShape: number[];
}

/** Slices at least this long are copied with one typed-array set (a memmove); shorter ones element by element. */
const COPY_AS_BLOCK = 16;

/**
 * copy(from, length, to): x[from, from + length) into out at `to`. When x and out are views of one
 * buffer (the wasm heap: always, on wasm), a copyWithin on one view of the whole buffer, which
 * allocates nothing; otherwise a set from a subarray, a new view object each row (the loss head's
 * gather of 384 rows made 36 KB of garbage a toy step that way).
 */
function blockCopier(x: HeapArray, out: HeapArray): (from: number, length: number, to: number) => void {
  if (x.buffer === out.buffer && x.constructor === out.constructor) {
    const bytes = x.BYTES_PER_ELEMENT;
    const whole = new (x.constructor as Float32ArrayConstructor)(x.buffer as ArrayBuffer);
    const [xAt, outAt] = [x.byteOffset / bytes, out.byteOffset / bytes];
    return (from, length, to) => { whole.copyWithin(outAt + to, xAt + from, xAt + from + length); };
  }
  return (from, length, to) => { out.set(x.subarray(from, from + length) as Float32Array, to); };
}

/**
 * out[b, o, j, s] = x[b, o, indices[b, j], s], where x is viewed as [batch, outer, dim, slice]
 * and indices as [batch, indicesPerBatch]. Shapes come from tfjs's own collectGatherOpShapeInfo.
 */
export function gatherBatchedInto(x: HeapArray, indices: Int32Array, layout: GatherLayout, out: HeapArray): void {
  const { batchSize, outerSize, dimSize, sliceSize } = layout;
  const perBatch = indices.length / batchSize;
  const copy = blockCopier(x, out);
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let outer = 0; outer < outerSize; outer++) {
      const xBase = (b * outerSize + outer) * dimSize;
      for (let j = 0; j < perBatch; j++) {
        const from = (xBase + indices[b * perBatch + j]!) * sliceSize;
        if (sliceSize >= COPY_AS_BLOCK) {
          copy(from, sliceSize, o);
          o += sliceSize;
        } else {
          for (let s = 0; s < sliceSize; s++) out[o++] = x[from + s]!;
        }
      }
    }
  }
}

export function wrapGather(original: KernelFunc): KernelFunc {
  return (params) => {
    const batchDims = (params.attrs?.['batchDims'] as number | undefined) ?? 0;
    const x = params.inputs['x'];
    const indices = params.inputs['indices'];
    if (x === undefined || indices === undefined) throw new Error('GatherV2: expected inputs x and indices');
    if (x.dtype === 'string' || x.dtype === 'complex64' || indices.dtype !== 'int32') return original(params);
    const backend = wasmInternals(params.backend);
    const axis = tf.util.parseAxisParam(params.attrs?.['axis'] as number, x.shape)[0]!;
    const layout = tf.backend_util.segment_util.collectGatherOpShapeInfo(
      x as tf.Tensor,
      indices as tf.Tensor,
      axis,
      batchDims,
    ) as GatherLayout;
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    for (const id of ids) {
      if (id < 0 || id >= layout.dimSize) throw new Error(`GatherV2: the index value ${id} is not in [0, ${layout.dimSize - 1}]`);
    }
    const out: TensorInfo = backend.makeOutput(layout.outputShape, x.dtype);
    // Views after the allocation: makeOutput may grow (and so detach) the wasm memory.
    gatherBatchedInto(
      backend.typedArrayFromHeap(x) as HeapArray,
      backend.typedArrayFromHeap(indices) as Int32Array,
      layout,
      backend.typedArrayFromHeap(out) as HeapArray,
    );
    return out;
  };
}
