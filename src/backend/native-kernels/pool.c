// The worker pool behind parallel_for (pool.h).
//
// Why a pool of our own and not OpenMP: the library must load with nothing but libc (it is a
// committed binary, like the wasm one), and the kernels it serves last 20 µs to a few ms, so a
// thread must be woken, not created, for each. A worker spins on the job counter after its part
// (consecutive kernels and products of a training step come microseconds apart), then sleeps on a
// condition variable. The products run on this pool too (sgemm-split.c, the BLAS on one thread), so
// a spinning worker keeps no other pool's thread from a core.
#include "pool.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

// Spin iterations a worker polls for the next job before it sleeps (a few ms with the pause: longer
// than the JavaScript between two kernels of a step). Measured on toy's step (11-13 ms), with the
// products on this pool too: sleeping at once cost ~1.5 ms a step in wake-ups, 20,000 spins ~0.5 ms
// against 200,000 or 2,000,000. The library is linked -z nodelete: a worker may still be spinning in
// its code when the process exits, and unloading it then would pull the code from under it.
#define SPIN_BEFORE_SLEEP 200000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static int thread_count = 1;   // the caller + (thread_count − 1) workers
static int workers_started = 0;

// The current job. Its fields are written before `claim` publishes it (release); a thread reads
// them only after it has claimed one of the job's parts, and the caller does not return (nor write
// the next job) before every part is done, so the fields it reads are the job's own.
static part_fn job_fn;
static const void *job_args;
static long job_bounds[POOL_MAX_THREADS + 1];

// Parts are claimed, not assigned: every thread (the caller too) takes the next unclaimed part
// until none is left. A worker that is asleep, still waking, or off its core when a job starts
// leaves its part to whichever thread gets there first, instead of the whole job waiting for it
// (on 2 cores, a step's products waited on a preempted worker several times a second). A part's
// bounds do not depend on which thread runs it, so results are the same either way.
// claim = generation << 16 | parts << 8 | next part (parts ≤ POOL_MAX_THREADS < 256).
static atomic_ulong claim;
static atomic_int done;        // parts finished in the current job

#define CLAIM_GENERATION(c) ((c) >> 16)
#define CLAIM_PARTS(c) ((int)(((c) >> 8) & 0xff))
#define CLAIM_NEXT(c) ((int)((c) & 0xff))

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Runs parts of generation `gen` until none is left unclaimed (or the job is no longer `gen`).
static void run_parts(unsigned long gen) {
  unsigned long c = atomic_load_explicit(&claim, memory_order_acquire);
  while (CLAIM_GENERATION(c) == gen && CLAIM_NEXT(c) < CLAIM_PARTS(c)) {
    if (atomic_compare_exchange_weak_explicit(&claim, &c, c + 1, memory_order_acq_rel, memory_order_acquire)) {
      const int part = CLAIM_NEXT(c);
      job_fn(job_args, part, job_bounds[part], job_bounds[part + 1]);
      atomic_fetch_add_explicit(&done, 1, memory_order_release);
      c = atomic_load_explicit(&claim, memory_order_acquire);
    }
  }
}

static void *worker_main(void *arg) {
  const int index = (int)(long)arg;  // 1 .. thread_count − 1; 0 is the caller
  unsigned long seen = 0;
  for (;;) {
    unsigned long now = CLAIM_GENERATION(atomic_load_explicit(&claim, memory_order_acquire));
    for (int spin = 0; now == seen && spin < SPIN_BEFORE_SLEEP; spin++) {
      cpu_relax();
      now = CLAIM_GENERATION(atomic_load_explicit(&claim, memory_order_acquire));
    }
    if (now == seen) {
      pthread_mutex_lock(&lock);
      while ((now = CLAIM_GENERATION(atomic_load_explicit(&claim, memory_order_acquire))) == seen) pthread_cond_wait(&wake, &lock);
      pthread_mutex_unlock(&lock);
    }
    seen = now;
    // A job has at most one part a thread, so only its first `parts` threads take part (index 0
    // is the caller): a pool that was made smaller never runs more threads than it was set to.
    if (index < CLAIM_PARTS(atomic_load_explicit(&claim, memory_order_acquire))) run_parts(now);
  }
  return 0;
}

int pool_set_threads(int threads) {
  if (threads < 1) threads = 1;
  if (threads > POOL_MAX_THREADS) threads = POOL_MAX_THREADS;
  pthread_mutex_lock(&lock);
  // Workers are only ever added: one that exists and is not needed takes no part in jobs.
  // Workers start with every signal blocked (a thread inherits its creator's mask): Ctrl-C and the
  // rest go to Node's own threads, never to a worker in the middle of a kernel.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  while (workers_started < threads - 1) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &attr, worker_main, (void *)(long)(workers_started + 1)) != 0) {
      pthread_attr_destroy(&attr);
      break;
    }
    pthread_attr_destroy(&attr);
    workers_started++;
  }
  pthread_sigmask(SIG_SETMASK, &previous, 0);
  thread_count = workers_started + 1 < threads ? workers_started + 1 : threads;
  pthread_mutex_unlock(&lock);
  return thread_count;
}

int pool_threads(void) { return thread_count; }

int parallel_for(part_fn fn, const void *args, long n, long grain, long align) {
  long parts = grain > 0 ? n / grain : n;
  if (parts > thread_count) parts = thread_count;
  if (parts <= 1 || workers_started == 0) {
    if (n <= 0) return 0;
    fn(args, 0, 0, n);
    return 1;
  }
  job_fn = fn;
  job_args = args;
  for (long p = 0; p <= parts; p++) {
    long b = n * p / parts;
    if (p > 0 && p < parts && align > 1) b -= b % align;
    job_bounds[p] = b;
  }
  atomic_store_explicit(&done, 0, memory_order_relaxed);
  const unsigned long gen = CLAIM_GENERATION(atomic_load_explicit(&claim, memory_order_relaxed)) + 1;
  pthread_mutex_lock(&lock);
  atomic_store_explicit(&claim, gen << 16 | (unsigned long)parts << 8, memory_order_release);
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&lock);
  run_parts(gen);
  while (atomic_load_explicit(&done, memory_order_acquire) != parts) cpu_relax();
  return (int)parts;
}
