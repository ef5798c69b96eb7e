// Matrix products split over the pool's threads, each part one single-threaded cblas_sgemm of the
// system BLAS (load.ts binds the library's own function here).
//
// Why: with two thread pools on the machine's cores — OpenBLAS's for the products and pool.c's for
// the element-wise kernels — each pool's idle workers stand in the other's way (OpenBLAS's spin
// after a product, ours after a kernel), and the step got slower, not faster. With the BLAS on one
// thread and every parallel part going through one pool, a worker can wait for the next job by
// spinning, and nothing competes with it for the core.
#include "pool.h"
#include <dlfcn.h>

#define EXPORT __attribute__((visibility("default")))

typedef void (*sgemm_fn)(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc);

static sgemm_fn blas_sgemm;
static long split_from_mnk = 1L << 21;

enum { ROW_MAJOR = 101, TRANS = 112 };

// Binds cblas_sgemm of the library at `path`, already loaded by the process (RTLD_NOLOAD: the same
// copy the rest of sftgoc calls). Products of at least `from_mnk` m·n·k are split. 0 when found.
EXPORT int sftgoc_bind_sgemm(const char *path, long from_mnk) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (lib == 0) return 1;
  blas_sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
  split_from_mnk = from_mnk;
  return blas_sgemm == 0 ? 2 : 0;
}

typedef struct {
  int ta, tb, m, n, k;
  float alpha, beta;
  const float *a, *b;
  float *c;
  int lda, ldb, ldc;
  int by_rows;
} sgemm_args;

// Where a part of a split product starts, in elements of A, B and C, and its m and n: rows
// [from, to) of C (by_rows) or columns [from, to). Row-major, so a row block of op(A) starts at row
// `from` of A (column `from` when A is stored transposed), a column block of op(B) likewise. The
// float32 and the bf16 products split the same way.
typedef struct { long a, b, c, m, n; } block;

static block block_of(int by_rows, int a_trans, int b_trans, long m, long n, long lda, long ldb, long ldc, long from, long to) {
  if (by_rows) return (block){a_trans ? from : from * lda, 0, from * ldc, to - from, n};
  return (block){0, b_trans ? from * ldb : from, from, m, to - from};
}

static void sgemm_part(const void *p, int part, long from, long to) {
  const sgemm_args *s = p;
  const block x = block_of(s->by_rows, s->ta == TRANS, s->tb == TRANS, s->m, s->n, s->lda, s->ldb, s->ldc, from, to);
  blas_sgemm(ROW_MAJOR, s->ta, s->tb, (int)x.m, (int)x.n, s->k, s->alpha, s->a + x.a, s->lda, s->b + x.b, s->ldb, s->beta, s->c + x.c, s->ldc);
}

// cblas_sgemm's row-major interface (order must be row-major), split along C's longer side.
EXPORT void sftgoc_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a, int lda,
                         const float *b, int ldb, float beta, float *c, int ldc) {
  if ((long)m * n * k < split_from_mnk || order != ROW_MAJOR) {
    blas_sgemm(order, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  sgemm_args s = {ta, tb, m, n, k, alpha, beta, a, b, c, lda, ldb, ldc, m >= n};
  // Parts of at least 16 rows or columns, on 16-element boundaries (the BLAS's panels).
  parallel_for(sgemm_part, &s, s.by_rows ? m : n, 16, 16);
}

// ---- `count` independent products of one shape, the i-th on A + aoff[i], B + boff[i] and C + coff[i]
// (element offsets), spread over the pool, each on one BLAS thread. The attention's per-(batch,
// head) products: each is far too small to split (small's 128×128×32), but a layer has 64 of them.
// The C blocks must not overlap.
typedef struct {
  int ta, tb, m, n, k;
  float alpha, beta;
  const float *a, *b;
  float *c;
  const int *aoff, *boff, *coff;
  int lda, ldb, ldc;
} sgemm_batch_args;

static void sgemm_batch_part(const void *p, int part, long from, long to) {
  const sgemm_batch_args *s = p;
  for (long i = from; i < to; i++) {
    blas_sgemm(ROW_MAJOR, s->ta, s->tb, s->m, s->n, s->k, s->alpha, s->a + s->aoff[i], s->lda, s->b + s->boff[i], s->ldb,
               s->beta, s->c + s->coff[i], s->ldc);
  }
}

EXPORT void sftgoc_sgemm_batch(int count, int ta, int tb, int m, int n, int k, float alpha, const float *a, const int *aoff, int lda,
                               const float *b, const int *boff, int ldb, float beta, float *c, const int *coff, int ldc) {
  sgemm_batch_args s = {ta, tb, m, n, k, alpha, beta, a, b, c, aoff, boff, coff, lda, ldb, ldc};
  // Split when the whole batch is worth a product split; at least one product a part.
  long grain = (long)m * n * k >= split_from_mnk ? 1 : (split_from_mnk + (long)m * n * k - 1) / ((long)m * n * k + 1);
  parallel_for(sgemm_batch_part, &s, count, grain, 1);
}

// ---- bf16 products (train.precision = "bf16", src/backend/blas/bf16.ts) split the same way: each
// part one call of oneDNN's dnnl_gemm_bf16bf16f32 (row-major, bf16 operands as uint16 bits, float32
// C), run single-threaded (the loader sets OMP_NUM_THREADS=1 before oneDNN loads). Without this,
// oneDNN's OpenMP threads and the pool's would contend, and a bf16 run kept the pool on one thread.
typedef int (*bf16_gemm_fn)(char ta, char tb, long m, long n, long k, float alpha, const unsigned short *a, long lda,
                            const unsigned short *b, long ldb, float beta, float *c, long ldc);

static bf16_gemm_fn dnnl_bf16;

// Binds dnnl_gemm_bf16bf16f32 of the library at `path`, already loaded by the process. 0 when found.
EXPORT int sftgoc_bind_bf16(const char *path) {
  void *lib = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
  if (lib == 0) return 1;
  dnnl_bf16 = (bf16_gemm_fn)dlsym(lib, "dnnl_gemm_bf16bf16f32");
  return dnnl_bf16 == 0 ? 2 : 0;
}

typedef struct {
  char ta, tb;
  long m, n, k, lda, ldb, ldc;
  float alpha, beta;
  const unsigned short *a, *b;
  float *c;
  int by_rows;
  int status[POOL_MAX_THREADS];
} bf16_args;

static void bf16_part(const void *p, int part, long from, long to) {
  bf16_args *s = (bf16_args *)p;
  const block x = block_of(s->by_rows, s->ta == 'T', s->tb == 'T', s->m, s->n, s->lda, s->ldb, s->ldc, from, to);
  s->status[part] = dnnl_bf16(s->ta, s->tb, x.m, x.n, s->k, s->alpha, s->a + x.a, s->lda, s->b + x.b, s->ldb, s->beta, s->c + x.c, s->ldc);
}

// dnnl_gemm_bf16bf16f32's interface; returns its first non-zero status.
EXPORT int sftgoc_gemm_bf16(char ta, char tb, long m, long n, long k, float alpha, const unsigned short *a, long lda,
                            const unsigned short *b, long ldb, float beta, float *c, long ldc) {
  if (m * n * k < split_from_mnk) return dnnl_bf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  bf16_args s = {ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, m >= n, {0}};
  int parts = parallel_for(bf16_part, &s, s.by_rows ? m : n, 16, 16);
  for (int p = 0; p < parts; p++) if (s.status[p] != 0) return s.status[p];
  return 0;
}
