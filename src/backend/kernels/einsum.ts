// Einsum for wasm (tfjs-backend-wasm 4.22 does not register it).
//
// The same algorithm as tfjs-backend-cpu's Einsum kernel (Apache-2.0): follow tfjs's own
// contraction path, transposing/reshaping each operand into place, multiplying with broadcasting,
// and summing out each contracted axis; here every step is a wasm kernel. Forward only: tfjs 4.22
// has no Einsum gradient on any backend, so training code must use matMul instead.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { wasmInternals } from '../tfjs-internals.js';

interface Kernels {
  transpose: KernelFunc;
  reshape: KernelFunc;
  multiply: KernelFunc;
  sum: KernelFunc;
  identity: KernelFunc;
}

function single(result: TensorInfo | TensorInfo[]): TensorInfo {
  return Array.isArray(result) ? result[0]! : result;
}

export function makeEinsum(kernels: Kernels): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const equation = attrs?.['equation'];
    if (typeof equation !== 'string') throw new Error('Einsum: expected attribute equation');
    const tensors = Object.keys(inputs)
      .sort((a, b) => Number(a) - Number(b))
      .map((k) => inputs[k]!);
    const { allDims, summedDims, idDims } = tf.backend_util.decodeEinsumEquation(equation, tensors.length);
    tf.backend_util.checkEinsumDimSizes(allDims.length, idDims, tensors as tf.Tensor[]);
    const { path, steps } = tf.backend_util.getEinsumComputePath(summedDims, idDims);
    const run = (kernel: KernelFunc, ins: Record<string, TensorInfo>, at?: Record<string, unknown>): TensorInfo => {
      const info = single(kernel({ inputs: ins, backend, attrs: at as never }));
      intermediates.push(info);
      return info;
    };
    const intermediates: TensorInfo[] = [];
    let out: TensorInfo | null = null;
    let remaining = allDims.length;
    for (let i = 0; i < steps.length; i++) {
      for (const term of steps[i]!) {
        const { permutationIndices: perm, expandDims } = tf.backend_util.getEinsumPermutation(remaining, idDims[term]!);
        let x = tensors[term]!;
        if (!tf.backend_util.isIdentityPermutation(perm)) x = run(kernels.transpose, { x }, { perm });
        const target = x.shape.slice();
        for (const d of expandDims) target.splice(d, 0, 1);
        if (!tf.util.arraysEqual(x.shape, target)) x = run(kernels.reshape, { x }, { shape: target });
        out = out === null ? x : run(kernels.multiply, { a: x, b: out });
      }
      if (i < steps.length - 1) {
        if (path[i]! >= 0) {
          out = run(kernels.sum, { x: out! }, { axis: path[i]! - (allDims.length - remaining), keepDims: false });
        }
        remaining--;
      }
    }
    if (out === null) throw new Error(`Einsum: nothing to compute for '${equation}'`);
    // Never hand an input back as the output: the engine would then hold two tensors on one buffer
    // without a reference count between them.
    const result: TensorInfo = tensors.includes(out) ? single(kernels.identity({ inputs: { x: out }, backend })) : out;
    for (const info of intermediates) if (info !== result) wasmInternals(backend).disposeData(info.dataId);
    return result;
  };
}
