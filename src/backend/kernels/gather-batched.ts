// GatherV2 with batchDims > 0 on wasm.
//
// Why: tfjs-backend-wasm 4.22's Gather reads the wrong rows when batchDims > 0 (measured:
// gather([[0..4],[10..14],[20..24]], [[0,1],[2,3],[4,0]], axis 1, batchDims 1) gives
// [[0,1],[13,14],[0,1e-40]] instead of [[0,1],[12,13],[24,20]]) — silently wrong, sometimes
// "memory access out of bounds". With batchDims = 0 it is right and fast, so that case still goes
// to the original; the batched case is a straight loop over the heap here.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type HeapArray = Float32Array | Int32Array | Uint8Array;

export interface GatherLayout {
  batchSize: number;
  outerSize: number;
  dimSize: number;
  sliceSize: number;
  outputShape: number[];
}

/**
 * out[b, o, j, s] = x[b, o, indices[b, j], s], where x is viewed as [batch, outer, dim, slice]
 * and indices as [batch, indicesPerBatch]. Shapes come from tfjs's own collectGatherOpShapeInfo.
 */
export function gatherBatchedInto(x: HeapArray, indices: Int32Array, layout: GatherLayout, out: HeapArray): void {
  const { batchSize, outerSize, dimSize, sliceSize } = layout;
  const perBatch = indices.length / batchSize;
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    for (let outer = 0; outer < outerSize; outer++) {
      const xBase = (b * outerSize + outer) * dimSize;
      for (let j = 0; j < perBatch; j++) {
        const from = (xBase + indices[b * perBatch + j]!) * sliceSize;
        for (let s = 0; s < sliceSize; s++) out[o++] = x[from + s]!;
      }
    }
  }
}

export function wrapBatchedGather(original: KernelFunc): KernelFunc {
  return (params) => {
    const batchDims = params.attrs?.['batchDims'];
    if (typeof batchDims !== 'number' || batchDims === 0) return original(params);
    const x = params.inputs['x'];
    const indices = params.inputs['indices'];
    if (x === undefined || indices === undefined) throw new Error('GatherV2: expected inputs x and indices');
    const backend = params.backend as BackendWasm;
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
