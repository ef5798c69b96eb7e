// BatchMatMul / _FusedMatMul on wasm with transposeA or transposeB: transpose explicitly first.
//
// Why: with tfjs-backend-wasm 4.22 in Node, a 512×128×512 matMul runs at ~20 GFLOP/s but only ~1
// with transposeA and ~2 with transposeB (the transposed operand is read with a large stride).
// The gradient of every matMul uses the transposed forms (dA = dC·Bᵀ, dB = Aᵀ·dC), so training
// spent most of its time there. The Transpose kernel is fast, so we materialise the transposed
// operand and call the original kernel with plain operands; the copy is freed before returning.
import type { KernelConfig, KernelFunc, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs';
import { wasmInternals } from '../tfjs-internals.js';

/** perm that swaps the last two axes of a tensor of rank `rank` (≥ 2). */
export function swapLastTwoAxes(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/**
 * Wraps a matmul-like kernel (inputs `a`, `b`; attrs `transposeA`, `transposeB`) so that the
 * original only ever sees untransposed operands. `transposeKernel` is the backend's Transpose.
 * Untransposed calls go straight to the original kernel.
 */
export function wrapTransposedMatMul(original: KernelFunc, transposeKernel: KernelFunc): KernelFunc {
  return (params) => {
    const attrs = params.attrs ?? {};
    const transposeA = attrs['transposeA'] === true;
    const transposeB = attrs['transposeB'] === true;
    if (!transposeA && !transposeB) return original(params);

    const a = params.inputs['a'];
    const b = params.inputs['b'];
    if (a === undefined || b === undefined) throw new Error('matMul kernel: expected inputs a and b');
    const backend = wasmInternals(params.backend);
    const intermediates: TensorInfo[] = [];
    const materialise = (x: TensorInfo): TensorInfo => {
      const t = transposeKernel({ inputs: { x }, backend: params.backend, attrs: { perm: swapLastTwoAxes(x.shape.length) } });
      const info = Array.isArray(t) ? t[0]! : t;
      intermediates.push(info);
      return info;
    };
    try {
      const inputs: NamedTensorInfoMap = { ...params.inputs, a: transposeA ? materialise(a) : a, b: transposeB ? materialise(b) : b };
      return original({ inputs, backend: params.backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      for (const info of intermediates) backend.disposeData(info.dataId);
    }
  };
}

/** A copy of `config` whose kernelFunc is wrapped; setupFunc/disposeFunc are kept so the original still binds its wasm function. */
export function transposedMatMulConfig(config: KernelConfig, transposeKernel: KernelFunc): KernelConfig {
  return { ...config, kernelFunc: wrapTransposedMatMul(config.kernelFunc, transposeKernel) };
}
