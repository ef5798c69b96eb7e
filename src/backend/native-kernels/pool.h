// A fixed pool of worker threads for the native kernels (pool.c): parallel_for splits [0, n) into
// at most one contiguous part per thread and runs them at once; each thread, the caller included,
// claims the next part not yet taken, so a part's number is not a thread's.
#pragma once

/** Runs part number `part` ([from, to)) of a kernel's work; `args` is the kernel's own argument struct. */
typedef void (*part_fn)(const void *args, int part, long from, long to);

/**
 * fn over [0, n) in up to pool_threads() parts of at least `grain` items each, the part bounds
 * multiples of `align` (so vector loops keep whole vectors). Returns, when every part is done, the
 * number of parts (0 when n ≤ 0). Not reentrant: one caller thread (the JavaScript thread) at a time.
 */
int parallel_for(part_fn fn, const void *args, long n, long grain, long align);

/** Sets the number of threads (1 = all on the caller; at most POOL_MAX_THREADS). Returns the count set. */
int pool_set_threads(int threads);
int pool_threads(void);

#define POOL_MAX_THREADS 16
