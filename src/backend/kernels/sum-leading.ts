// Sum over leading axes on wasm: one pass over the rows with a float64 accumulator per column.
//
// Why: every bias and norm-weight gradient is a sum over the token axes ([B·T, d] → [d]), and
// tfjs-backend-wasm 4.22 reduces only innermost axes: for any other it first transposes the whole
// input (a strided copy), then sums. Measured on the `small` bench step (CPU time): 95 ms of its
// ~120 ms of Sum, for 34 such calls. Reading the rows in order and adding each into the column
// accumulators is one sequential pass. Other reductions (innermost axes, all axes, int32) go to
// the original.
import * as tf from '@tensorflow/tfjs';
import type { DataType, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { heapFloats, wasmInternals } from '../tfjs-internals.js';

/**
 * out[c] = Σ_r x[r·cols + c], accumulated in float64 and rounded once. Four rows per pass over the
 * accumulators: half the accumulator traffic of one row at a time (measured 0.8 against 1.8 ns per
 * element in Node 20).
 */
export function sumRowsInto(x: Float32Array, rows: number, cols: number, out: Float32Array): void {
  const acc = new Float64Array(cols);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const b0 = r * cols;
    const b1 = b0 + cols;
    const b2 = b1 + cols;
    const b3 = b2 + cols;
    for (let c = 0; c < cols; c++) acc[c]! += x[b0 + c]! + x[b1 + c]! + (x[b2 + c]! + x[b3 + c]!);
  }
  for (; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) acc[c]! += x[base + c]!;
  }
  out.set(acc);
}

/**
 * The number of leading axes `axis` reduces when they are exactly 0..p−1 with 0 < p < rank (some
 * axes are kept), else undefined.
 */
export function leadingAxes(axis: unknown, shape: readonly number[]): number | undefined {
  if (axis === null || axis === undefined) return undefined; // all axes
  const axes = [...new Set(tf.util.parseAxisParam(axis as number | number[], shape as number[]))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= shape.length) return undefined;
  return axes.every((a, i) => a === i) ? axes.length : undefined;
}

export function wrapLeadingSum(original: KernelFunc): KernelFunc {
  return (params) => {
    const x = params.inputs['x'];
    if (x === undefined) throw new Error('Sum: expected input x');
    const leading = x.dtype === 'float32' ? leadingAxes(params.attrs?.['axis'], x.shape) : undefined;
    if (leading === undefined) return original(params);
    const kept = x.shape.slice(leading);
    const rows = x.shape.slice(0, leading).reduce((a, b) => a * b, 1);
    const cols = kept.reduce((a, b) => a * b, 1);
    const outShape = params.attrs?.['keepDims'] === true ? [...Array<number>(leading).fill(1), ...kept] : kept;
    const backend = wasmInternals(params.backend);
    const out = backend.makeOutput(outShape, 'float32');
    // Views after the allocation: growing the wasm memory detaches earlier ones.
    if (cols > 0) sumRowsInto(heapFloats(backend, x), rows, cols, heapFloats(backend, out));
    return out;
  };
}
