// The one module that reaches into TensorFlow.js internals: the wasm backend's heap and output
// allocation, its reference counts, the cpu backend's buffers, and the engine's tape state. None of
// these are public API, so they are typed here once, for the tfjs version the project pins; every
// kernel, the native trunk and the loss head import them from here instead of redeclaring them. A
// different tfjs version is refused by `internalsSupported()`, and the backend loader then turns the
// native paths and kernel fixes off and says so (src/backend/wasm.ts), instead of failing in scattered
// places at the first step.
import * as tf from '@tensorflow/tfjs';
import type { DataType, TensorInfo } from '@tensorflow/tfjs';

/** The tfjs release whose internals this module describes (package.json pins it). */
export const SUPPORTED_TFJS_VERSION = '4.22.0';

/** Whether the loaded tfjs is the version these internals were written against. */
export function internalsSupported(core: string = tf.version_core): { ok: true } | { ok: false; reason: string } {
  if (core === SUPPORTED_TFJS_VERSION) return { ok: true };
  return { ok: false, reason: `@tensorflow/tfjs ${core} is not ${SUPPORTED_TFJS_VERSION}, the version whose internals the native paths and kernel fixes use` };
}

/** A tensor's buffer on the wasm heap, by dtype. */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

/** The parts of tfjs-backend-wasm's BackendWasm the native paths and kernel fixes use. */
export interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
  /** Tensors sharing the buffer of `dataId` (a tensor and its reshapes share one). */
  refCount(dataId: object): number;
  /** Each buffer's byte offset on the heap, by dataId. */
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  typedArrayFromHeap(info: TensorInfo): HeapArray;
  wasm: {
    asm: { memory: WebAssembly.Memory };
    HEAPU8: Uint8Array;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
}

/** The parts of tfjs-backend-cpu's MathBackendCPU the cpu kernels use. */
export interface CpuBackendInternals {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: DataType, values: Float32Array | Int32Array): TensorInfo;
}

/** A kernel's `params.backend` on wasm, typed. */
export function wasmInternals(backend: unknown): WasmBackendInternals {
  return backend as WasmBackendInternals;
}

/** A float32 tensor's buffer on the wasm heap (a view: it dies when the memory grows). */
export function heapFloats(backend: WasmBackendInternals, info: TensorInfo): Float32Array {
  return backend.typedArrayFromHeap(info) as Float32Array;
}

/** A tensor's byte offset on the wasm heap, without making a view of it. */
export function heapOffset(backend: WasmBackendInternals, info: TensorInfo): number {
  const data = backend.dataIdMap.get(info.dataId);
  if (data === undefined) throw new Error('heapOffset: the tensor has no data on the wasm backend (disposed?)');
  return data.memoryOffset;
}

/** The wasm module's memory (the heap every tensor and workspace lives in). */
export function wasmMemory(backend: WasmBackendInternals): WebAssembly.Memory {
  return backend.wasm.asm.memory;
}

/** A kernel's `params.backend` on cpu, typed. */
export function cpuInternals(backend: unknown): CpuBackendInternals {
  return backend as CpuBackendInternals;
}

/** The active backend as the wasm backend's internals, when it is wasm, has a heap and is the supported version. */
export function activeWasmBackend(): WasmBackendInternals | undefined {
  if (tf.getBackend() !== 'wasm' || !internalsSupported().ok) return undefined;
  const backend = wasmInternals(tf.backend());
  return backend.wasm?.asm?.memory instanceof WebAssembly.Memory ? backend : undefined;
}

interface EngineState {
  gradientDepth: number;
  kernelDepth: number;
  activeTape: unknown;
}

/** The engine's differentiation state: how deep in gradients and kernels, and the open tape. */
export function engineState(): EngineState {
  return (tf.engine() as unknown as { state: EngineState }).state;
}
