// A fast UnsortedSegmentSum kernel for the wasm and cpu backends.
//
// Why: tf.gather's gradient is `unsortedSegmentSum(dy, ids, vocab)`, so every embedding's gradient
// runs this kernel. tfjs-backend-wasm 4.22 does not register it at all ("kernel not registered"),
// and tfjs-backend-cpu builds it out of one equal/multiply/sum per segment, which is
// O(segments · rows · width): about 9 s for one embedding gradient. Here it is one pass over the
// rows with straight loops, O(rows · width + segments · width).
import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { cpuInternals, wasmInternals } from '../tfjs-internals.js';

type NumericArray = Float32Array | Int32Array;

/**
 * Adds row `i` of `data` (rows of `rowSize` values) into row `segmentIds[i]` of `out`, which the
 * caller has zeroed. Ids outside [0, numSegments) are skipped, as TensorFlow's UnsortedSegmentSum
 * drops them (and as the cpu backend's version, which compares against each segment, does).
 */
export function accumulateSegments(
  data: NumericArray,
  segmentIds: Int32Array,
  rowSize: number,
  numSegments: number,
  out: NumericArray,
): void {
  for (let i = 0; i < segmentIds.length; i++) {
    const segment = segmentIds[i]!;
    if (segment < 0 || segment >= numSegments) continue;
    const from = i * rowSize;
    const to = segment * rowSize;
    for (let j = 0; j < rowSize; j++) out[to + j]! += data[from + j]!;
  }
}

/** Output shape: the segment axis replaces the leading `segmentIds.rank` axes of `x`. */
export function segmentSumShape(xShape: readonly number[], idsRank: number, numSegments: number): number[] {
  return [numSegments, ...xShape.slice(idsRank)];
}

interface SegmentSumArgs {
  x: TensorInfo;
  segmentIds: TensorInfo;
  numSegments: number;
}

function readArgs(params: Parameters<KernelFunc>[0]): SegmentSumArgs {
  const x = params.inputs['x'];
  const segmentIds = params.inputs['segmentIds'];
  const numSegments = params.attrs?.['numSegments'];
  if (x === undefined || segmentIds === undefined || typeof numSegments !== 'number') {
    throw new Error('UnsortedSegmentSum: expected inputs x, segmentIds and attribute numSegments');
  }
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum: dtype ${x.dtype} is not supported (float32 or int32)`);
  }
  const idsShape = segmentIds.shape;
  if (idsShape.length > x.shape.length || idsShape.some((d, i) => d !== x.shape[i])) {
    throw new Error(
      `UnsortedSegmentSum: segmentIds shape [${idsShape.join(',')}] must be a prefix of x shape [${x.shape.join(',')}]`,
    );
  }
  return { x, segmentIds, numSegments };
}

function rowSizeOf(args: SegmentSumArgs): number {
  return args.x.shape.slice(args.segmentIds.shape.length).reduce((a, b) => a * b, 1);
}

/** The wasm version: reads both inputs straight from the wasm heap and writes an output the backend owns. */
export const wasmSegmentSum: KernelFunc = (params) => {
  const args = readArgs(params);
  const backend = wasmInternals(params.backend);
  const outShape = segmentSumShape(args.x.shape, args.segmentIds.shape.length, args.numSegments);
  // makeOutput may grow the wasm memory, which detaches earlier heap views: allocate first, view after.
  const out = backend.makeOutput(outShape, args.x.dtype);
  const outValues = backend.typedArrayFromHeap(out) as NumericArray;
  outValues.fill(0); // the wasm allocator does not zero memory
  const ids = toInt32(backend.typedArrayFromHeap(args.segmentIds));
  const data = backend.typedArrayFromHeap(args.x) as NumericArray;
  accumulateSegments(data, ids, rowSizeOf(args), args.numSegments, outValues);
  return out;
};

/** The cpu version: same loop, on the backend's JS arrays. */
export const cpuSegmentSum: KernelFunc = (params) => {
  const args = readArgs(params);
  const backend = cpuInternals(params.backend);
  const outShape = segmentSumShape(args.x.shape, args.segmentIds.shape.length, args.numSegments);
  const size = outShape.reduce((a, b) => a * b, 1);
  const outValues = args.x.dtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
  const ids = toInt32(backend.readSync(args.segmentIds.dataId) as ArrayLike<number>);
  const data = backend.readSync(args.x.dataId) as NumericArray;
  accumulateSegments(data, ids, rowSizeOf(args), args.numSegments, outValues);
  return backend.makeTensorInfo(outShape, args.x.dtype, outValues);
};

function toInt32(values: ArrayLike<number>): Int32Array {
  return values instanceof Int32Array ? values : Int32Array.from(values);
}

export const wasmSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'wasm',
  kernelFunc: wasmSegmentSum,
};

export const cpuSegmentSumConfig: KernelConfig = {
  kernelName: 'UnsortedSegmentSum',
  backendName: 'cpu',
  kernelFunc: cpuSegmentSum,
};
