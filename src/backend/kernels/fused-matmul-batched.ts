// _FusedMatMul on wasm with more than one batch: decompose into BatchMatMul + Add + activation.
//
// Why: tfjs-backend-wasm 4.22's fused kernel adds the bias wrongly when the batch is > 1
// (measured: fused.matMul({a:[2,3,5], b:[2,5,4], bias:[4]}) differs from matMul + add by up to
// 0.7; the 2-D case is exact). The decomposition uses the (fixed) BatchMatMul kernel and the
// backend's own Add and activation kernels; single-batch calls still go to the fused original,
// unless `alwaysDecompose` says otherwise (a BLAS is active: its BatchMatMul beats the fused one).
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { wasmInternals } from '../tfjs-internals.js';

export interface FusedParts {
  batchMatMul: KernelFunc;
  add: KernelFunc;
  activations: Record<'relu' | 'relu6' | 'elu' | 'sigmoid' | 'leakyrelu' | 'prelu', KernelFunc>;
}

function single(result: TensorInfo | TensorInfo[]): TensorInfo {
  return Array.isArray(result) ? result[0]! : result;
}

function batchCount(shape: readonly number[]): number {
  return shape.slice(0, -2).reduce((x, y) => x * y, 1);
}

export function wrapBatchedFusedMatMul(original: KernelFunc, parts: FusedParts, alwaysDecompose: () => boolean = () => false): KernelFunc {
  return (params) => {
    const { inputs, backend } = params;
    const attrs = params.attrs ?? {};
    const a = inputs['a'];
    const b = inputs['b'];
    if (a === undefined || b === undefined) throw new Error('_FusedMatMul: expected inputs a and b');
    if (batchCount(a.shape) <= 1 && batchCount(b.shape) <= 1 && !alwaysDecompose()) return original(params);

    const steps: TensorInfo[] = [];
    const step = (info: TensorInfo | TensorInfo[]): TensorInfo => {
      const t = single(info);
      steps.push(t);
      return t;
    };
    let out = step(parts.batchMatMul({ inputs: { a, b }, backend, attrs: { transposeA: attrs['transposeA'] ?? false, transposeB: attrs['transposeB'] ?? false } }));
    const bias = inputs['bias'];
    if (bias !== undefined && bias !== null) out = step(parts.add({ inputs: { a: out, b: bias }, backend }));
    const activation = (attrs['activation'] ?? 'linear') as string;
    switch (activation) {
      case 'linear':
        break;
      case 'prelu': {
        const alpha = inputs['preluActivationWeights'];
        if (alpha === undefined) throw new Error('_FusedMatMul: prelu needs preluActivationWeights');
        out = step(parts.activations.prelu({ inputs: { x: out, alpha }, backend }));
        break;
      }
      case 'leakyrelu':
        out = step(parts.activations.leakyrelu({ inputs: { x: out }, backend, attrs: { alpha: attrs['leakyreluAlpha'] ?? 0.2 } }));
        break;
      case 'relu':
      case 'relu6':
      case 'elu':
      case 'sigmoid':
        out = step(parts.activations[activation]({ inputs: { x: out }, backend }));
        break;
      default:
        throw new Error(`_FusedMatMul: unknown activation '${activation}'`);
    }
    for (const t of steps) if (t !== out) wasmInternals(backend).disposeData(t.dataId);
    return out;
  };
}
