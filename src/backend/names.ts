// The backend names the `backend` setting and `--backend` accept: one table, free of TensorFlow.js
// so that commands can list them without loading it.

/** `wasm-blas` is the wasm backend with its matrix products through the system's BLAS (src/backend/blas/). */
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm-blas' | 'wasm' | 'cpu';
export type BackendRequest = 'auto' | BackendName;

/** The order `auto` tries, fastest first. */
export const AUTO_ORDER: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm-blas', 'wasm', 'cpu'];

export const BACKEND_REQUESTS: readonly BackendRequest[] = ['auto', ...AUTO_ORDER];

export function isBackendRequest(value: string): value is BackendRequest {
  return (BACKEND_REQUESTS as readonly string[]).includes(value);
}

/** For usage errors: "auto, tensorflow-gpu, …, wasm or cpu". */
export function backendChoices(): string {
  return `${BACKEND_REQUESTS.slice(0, -1).join(', ')} or ${BACKEND_REQUESTS[BACKEND_REQUESTS.length - 1]}`;
}
