// Where a trunk workspace's buffers live: one block of floats, handed out by offset. `jsArena` is a
// plain Float32Array (tests, and any backend); `heapArena` is malloc'ed on tfjs-backend-wasm's heap,
// so the SIMD kernels and cblas_sgemm work on it in place. Heap views die when the wasm memory grows,
// hence views are made on demand and the owner re-makes them (Gpt2Workspace.refresh).
import type { WasmBackendInternals } from '../tfjs-internals.js';

/** The wasm heap could not hold a workspace; the caller falls back to the tfjs ops. */
export class HeapAllocationError extends Error {
  constructor(readonly bytes: number) {
    super(`the wasm heap could not allocate ${Math.round(bytes / 2 ** 20)} MB for the native trunk's activations`);
    this.name = 'HeapAllocationError';
  }
}

/** The wasm heap is 32-bit (4 GiB at most, shared with every tensor): larger blocks are refused up front. */
const MAX_BLOCK_BYTES = 2 ** 31;

export interface Arena {
  /** Reserves the block, `floats` long; called once. */
  reserve(floats: number): void;
  /** A view of floats [offset, offset + length) of the block; valid while buffer() is unchanged. */
  view(offset: number, length: number): Float32Array;
  buffer(): ArrayBufferLike;
  /** Frees the block (heap); the views must not be used afterwards. */
  release(): void;
}

export function jsArena(): Arena {
  let block = new Float32Array();
  return {
    reserve: (floats) => {
      block = new Float32Array(floats);
    },
    view: (offset, length) => block.subarray(offset, offset + length),
    buffer: () => block.buffer,
    release: () => {
      block = new Float32Array();
    },
  };
}

export function heapArena(backend: WasmBackendInternals): Arena {
  let pointer = 0;
  let aligned = 0;
  return {
    reserve: (floats) => {
      const bytes = floats * 4 + 16;
      const raw = bytes > MAX_BLOCK_BYTES ? 0 : backend.wasm._malloc(bytes);
      if (raw === 0) throw new HeapAllocationError(bytes);
      pointer = raw;
      // 16-byte aligned for the SIMD loads.
      aligned = (raw + 15) & ~15;
    },
    view: (offset, length) => new Float32Array(backend.wasm.HEAPU8.buffer, aligned + offset * 4, length),
    buffer: () => backend.wasm.HEAPU8.buffer,
    release: () => {
      if (pointer !== 0) backend.wasm._free(pointer);
      pointer = 0;
    },
  };
}
