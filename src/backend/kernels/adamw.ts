// One AdamW update of a parameter as a single kernel (wasm and cpu): one pass over p, m, v and g.
// On wasm the pass is kernels.c's `adamw` in WebAssembly SIMD (in float32, 4 lanes) when the SIMD
// binary loads, else the float64 loop below, which stays the reference the tests compare with.
//
// Why: written with tfjs ops (src/train/adamw.ts, which stays the reference and the path for other
// backends), an update is ~15 element-wise kernels per parameter, each a full pass over memory
// and a dispatch through the engine: on the `toy` bench step ~420 of its ~2,300 kernel calls, on
// `small` 15 passes over its 5.3 M parameters. Here it is one loop with the arithmetic in float64,
// each result rounded once to float32 (the op path rounds after every op; the difference is a few
// ulp, far inside the reference test's tolerance).
import * as tf from '@tensorflow/tfjs';
import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { wasmHeap } from '../simd/module.js';
import { readByWasmProducts } from './packed-operands.js';
import { activeWasmBackend, cpuInternals, heapFloats, heapOffset, wasmInternals } from '../tfjs-internals.js';

export const ADAMW_KERNEL = 'SftgocAdamW';

/**
 * Everything but the tensors, for step t: c1 = 1 − β1^t, c2 = 1 − β2^t, decay = 1 − lr·wd (or 1),
 * gradScale the global-norm clipping factor applied to g first (1 when not clipping).
 */
export interface AdamWStep {
  gradScale: number;
  b1: number;
  b2: number;
  c1: number;
  c2: number;
  eps: number;
  lr: number;
  decay: number;
}

/** p', m', v' of torch.optim.AdamW's update, element by element. */
export function adamwInto(
  p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, s: AdamWStep,
  pOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
): void {
  const { b1, b2, eps, decay } = s;
  const a1 = 1 - b1;
  const a2 = 1 - b2;
  const stepSize = s.lr / s.c1;
  const c2 = s.c2;
  const gradScale = s.gradScale;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! * gradScale;
    const mi = b1 * m[i]! + a1 * gi;
    const vi = b2 * v[i]! + a2 * gi * gi;
    mOut[i] = mi;
    vOut[i] = vi;
    pOut[i] = p[i]! * decay - (stepSize * mi) / (Math.sqrt(vi / c2) + eps);
  }
}

function readStep(attrs: Record<string, unknown> | undefined): AdamWStep {
  const a = attrs ?? {};
  const n = (k: string): number => {
    const x = a[k];
    if (typeof x !== 'number') throw new Error(`${ADAMW_KERNEL}: attribute ${k} must be a number`);
    return x;
  };
  return { b1: n('b1'), b2: n('b2'), c1: n('c1'), c2: n('c2'), eps: n('eps'), lr: n('lr'), decay: n('decay'), gradScale: n('gradScale') };
}

function inputsOf(params: Parameters<KernelFunc>[0]): TensorInfo[] {
  const names = ['p', 'm', 'v', 'g'];
  const infos = names.map((k) => params.inputs[k]);
  infos.forEach((t, i) => {
    if (t === undefined || t.dtype !== 'float32') throw new Error(`${ADAMW_KERNEL}: input ${names[i]} must be a float32 tensor`);
    if (!tf.util.arraysEqual(t.shape, infos[0]!.shape)) throw new Error(`${ADAMW_KERNEL}: input ${names[i]} has shape [${t.shape}], expected [${infos[0]!.shape}]`);
  });
  return infos as TensorInfo[];
}

const wasmAdamW: KernelFunc = (params) => {
  const [p, m, v, g] = inputsOf(params);
  const backend = wasmInternals(params.backend);
  const outs = [0, 1, 2].map(() => backend.makeOutput([...p!.shape], 'float32'));
  // Views after all allocations: growing the wasm memory detaches earlier ones.
  const view = (t: TensorInfo): Float32Array => heapFloats(backend, t);
  const s = readStep(params.attrs);
  const simd = wasmHeap()?.simd;
  if (simd !== undefined) {
    const at = (t: TensorInfo): number => view(t).byteOffset;
    simd.adamw(at(p!), at(m!), at(v!), at(g!), view(p!).length, s.b1, s.b2, s.c1, s.c2, s.eps, s.lr, s.decay, s.gradScale, at(outs[0]!), at(outs[1]!), at(outs[2]!));
  } else {
    adamwInto(view(p!), view(m!), view(v!), view(g!), s, view(outs[0]!), view(outs[1]!), view(outs[2]!));
  }
  return outs;
};

const cpuAdamW: KernelFunc = (params) => {
  const [p, m, v, g] = inputsOf(params);
  const backend = cpuInternals(params.backend);
  const read = (t: TensorInfo): Float32Array => backend.readSync(t.dataId) as Float32Array;
  const size = read(p!).length;
  const outs = [new Float32Array(size), new Float32Array(size), new Float32Array(size)] as const;
  adamwInto(read(p!), read(m!), read(v!), read(g!), readStep(params.attrs), outs[0], outs[1], outs[2]);
  return outs.map((values) => backend.makeTensorInfo([...p!.shape], 'float32', values));
};

export const wasmAdamWConfig: KernelConfig = { kernelName: ADAMW_KERNEL, backendName: 'wasm', kernelFunc: wasmAdamW };
export const cpuAdamWConfig: KernelConfig = { kernelName: ADAMW_KERNEL, backendName: 'cpu', kernelFunc: cpuAdamW };

/**
 * [p', m', v'] through the fused kernel when the active backend has it, else undefined (the caller
 * then runs the update as tfjs ops).
 */
export function fusedAdamW(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, step: AdamWStep): [tf.Tensor, tf.Tensor, tf.Tensor] | undefined {
  if (tf.getKernel(ADAMW_KERNEL, tf.getBackend()) === undefined) return undefined;
  if (p.dtype !== 'float32' || g.dtype !== 'float32') return undefined;
  const out = tf.engine().runKernel(ADAMW_KERNEL, { p, m, v, g }, step as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return [out[0]!, out[1]!, out[2]!];
}

/**
 * The update written over p, m and v themselves: on wasm with the kernel table loaded (native or
 * WebAssembly SIMD; element i of each output depends only on element i of the inputs, so the
 * kernels may write where they read), when each of the three owns its buffer alone and no XNNPACK
 * product has read the parameter's. tfjs lets a tensor and its reshapes share one buffer, and a
 * sharer must not see the update; XNNPACK keeps the operands of its products packed, by tensor
 * (packed-operands.ts). Then, or on another backend, this returns false and the caller runs
 * fusedAdamW or the ops: the new tensors they make have buffers nothing has seen.
 *
 * Why: fusedAdamW makes three new tensors a parameter (p', m', v') that replace the old ones by
 * assign, three allocations and frees of the wasm heap and the engine's bookkeeping for each of
 * the 28 parameters of a toy step. In place, the optimizer is one native call a parameter.
 */
export function adamwInPlace(p: tf.Variable, m: tf.Variable, v: tf.Variable, g: tf.Tensor, step: AdamWStep): boolean {
  const backend = activeWasmBackend();
  const simd = backend === undefined ? undefined : wasmHeap()?.simd;
  if (backend === undefined || simd === undefined) return false;
  // Written out, not as helper closures: this runs for every parameter of every step.
  if (p.dtype !== 'float32' || m.dtype !== 'float32' || v.dtype !== 'float32' || g.dtype !== 'float32') return false;
  if (m.size !== p.size || v.size !== p.size || !tf.util.arraysEqual(g.shape, p.shape)) return false;
  if (backend.refCount(p.dataId) !== 1 || backend.refCount(m.dataId) !== 1 || backend.refCount(v.dataId) !== 1) return false;
  // A parameter an XNNPACK product has read may be held packed by it (packed-operands.ts).
  if (readByWasmProducts(p.dataId)) return false;
  const pAt = heapOffset(backend, p);
  const mAt = heapOffset(backend, m);
  const vAt = heapOffset(backend, v);
  simd.adamw(pAt, mAt, vAt, heapOffset(backend, g), p.size, step.b1, step.b2, step.c1, step.c2, step.eps, step.lr, step.decay, step.gradScale, pAt, mAt, vAt);
  return true;
}
