// The one start-up of this process's TensorFlow.js backend, for every command that runs a network
// (run, eval, groups with a model, generate on the tfjs engine). The backend package is imported
// only when called, so a module that imports this one (the pipeline) still loads no TensorFlow.js.
// A request that is not a backend is a usage error; one that does not load, bad input; both messages.

export interface Backend {
  name: string;
  /** What was asked for (`auto` picks the fastest that loads). */
  requested: string;
  notes: string[];
}

export type BackendStart = { ok: true; backend: Backend } | { ok: false; kind: 'usage' | 'input'; messages: string[] };

/** Makes `request` (auto, wasm, cpu, …) the tfjs backend of this process, or says why not. */
export async function startBackend(request: string): Promise<BackendStart> {
  const { initBackend, isBackendRequest, BackendLoadError, backendChoices } = await import('./index.js');
  if (!isBackendRequest(request)) return { ok: false, kind: 'usage', messages: [`--backend ${request}: expected ${backendChoices()}`] };
  try {
    const backend = await initBackend(request);
    return { ok: true, backend: { name: backend.name, requested: request, notes: [...backend.notes] } };
  } catch (e) {
    if (e instanceof BackendLoadError) return { ok: false, kind: 'input', messages: [e.message] };
    throw e;
  }
}
