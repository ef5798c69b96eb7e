// The allocator settings of a child process that runs PyTorch on the CPU (the torch engine's
// programs, and the bench's peer): glibc's malloc told to keep what it frees.
//
// Why: glibc gives blocks above its mmap threshold (128 KiB, raised as it goes up to 32 MiB) their
// own mapping and unmaps them on free, and trims the heap's top back to the kernel. PyTorch's CPU
// allocator mallocs every activation and gradient, so each training step maps its buffers again,
// faults them in page by page and has the kernel zero them. Measured on the bench's `small` step
// (PyTorch 1.13, one intra-op thread, two OpenBLAS threads; docs/performance.md): 524–570 ms with
// glibc's defaults, 193–208 ms with both thresholds at 4 GiB; jemalloc 2 preloaded with its
// defaults took 846 ms and tcmalloc 205 ms. PyTorch's CPU tuning guide recommends a caching
// allocator for this reason; these two variables need nothing installed. The cost: the process
// keeps its peak heap until it exits, which a training run reaches anyway.
//
// The user's own choice wins: nothing is added when either variable is set, when GLIBC_TUNABLES
// names a malloc tunable, or when LD_PRELOAD brings another allocator.

const KEEP_FREED_MEMORY: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: '4294967296',
  MALLOC_TRIM_THRESHOLD_: '4294967296',
};

/** The variables to add to `base` (empty when the user already chose the allocator's behaviour). */
export function keepFreedMemoryEnv(base: NodeJS.ProcessEnv): Record<string, string> {
  const set = (key: string) => (base[key] ?? '') !== '';
  const chosen = Object.keys(KEEP_FREED_MEMORY).some(set)
    || /glibc\.malloc\./.test(base['GLIBC_TUNABLES'] ?? '')
    || /malloc/i.test(base['LD_PRELOAD'] ?? '');
  return chosen ? {} : { ...KEEP_FREED_MEMORY };
}

/** One line for `compile --emit plan`, config.json and the bench: what a PyTorch child gets from `base`. */
export function torchAllocatorNote(base: NodeJS.ProcessEnv): string {
  const added = Object.keys(keepFreedMemoryEnv(base));
  return added.length > 0 ? `glibc malloc keeps freed memory (${added.join(', ')} set to 4 GiB)` : 'as your environment sets it (MALLOC_*, GLIBC_TUNABLES or LD_PRELOAD)';
}
