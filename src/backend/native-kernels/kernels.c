// sftgoc's element-wise kernels compiled for the host CPU (x86-64, AVX2 + FMA or AVX-512), built by
// scripts/build-native-kernels.sh into assets/native/ (committed, so `npm ci` needs no compiler).
//
// Why: the WebAssembly kernels (src/backend/simd/kernels.c) run 4 lanes at a time on the one
// JavaScript thread, while the products around them use every core through the BLAS. On the
// `small` bench step they were ~70 ms of CPU on one core next to ~100 ms of two-thread products.
// These are the same kernels with the same arguments (the table in src/backend/simd/kernel-table.ts
// declares both), 8 or 16 lanes wide, each split over the pool's threads (pool.c) where the work
// is large enough. They work in place on tfjs-backend-wasm's heap: every pointer is an address in
// that memory, computed by the loader (src/backend/native-kernels/load.ts); nothing is copied.
//
// Element-wise loops are written as plain loops and vectorised by the compiler (no fast-math: the
// loops have no reductions). Reductions (sums, maxima, dot products) use explicit 16-lane vectors,
// so their order is fixed and does not depend on a compiler flag. The exp is the wasm kernels'
// (same polynomial, same rounding); results agree with them to a few ulp, and the tests compare
// both with the plain loops of src/model/native/rows.ts and src/backend/kernels/adamw.ts.
#include "pool.h"
#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))

typedef float f32;
typedef float v16 __attribute__((vector_size(64), aligned(4)));  // unaligned loads and stores
typedef int i16v __attribute__((vector_size(64), aligned(4)));

// Work below these sizes runs on the calling thread: waking a worker costs a few microseconds.
#define GRAIN_ELEMENTS 32768L
#define ALIGN_ELEMENTS 64L

// The grain of a kernel split by rows (or blocks) of `row_elements` values each: enough rows for
// GRAIN_ELEMENTS values; all `rows` at once when a row is empty.
static inline long row_grain(long row_elements, long rows) {
  return row_elements > 0 ? GRAIN_ELEMENTS / row_elements + 1 : rows;
}

static inline v16 splat(f32 x) { return (v16){0} + x; }
static inline v16 load16(const f32 *p) { return *(const v16 *)p; }
static inline void store16(f32 *p, v16 v) { *(v16 *)p = v; }

static inline f32 hsum16(v16 v) {
  f32 s = 0.0f;
  for (int l = 0; l < 16; l++) s += v[l];
  return s;
}

static inline f32 hmax16(v16 v) {
  f32 m = v[0];
  for (int l = 1; l < 16; l++) m = v[l] > m ? v[l] : m;
  return m;
}

// e^x, the wasm kernels' exp4 lane by lane: x = k·ln2 + r, e^r by a degree-6 polynomial, 2^k in
// the exponent bits; k rounded by adding 1.5·2^23 (see the wasm file for why this is exact).
#define EXP_ROUND 12582912.0f

// The reduction and polynomial shared by exp1 (T = f32) and exp16 (T = v16: the same operations on
// every lane): from a clamped x, t (holding k in its low mantissa bits) and p = e^r.
#define EXP_STEPS(T, x, t, p)                      \
  T t = (x) * 1.44269504088896341f + EXP_ROUND;    \
  T p;                                             \
  {                                                \
    T k = t - EXP_ROUND;                           \
    T r = (x) - k * 0.693359375f;                  \
    r = r - k * -2.12194440e-4f;                   \
    p = (T){0} + 1.9875691500e-4f;                 \
    p = p * r + 1.3981999507e-3f;                  \
    p = p * r + 8.3334519073e-3f;                  \
    p = p * r + 4.1665795894e-2f;                  \
    p = p * r + 1.6666665459e-1f;                  \
    p = p * r + 5.0000001201e-1f;                  \
    p = p * r * r + (r + 1.0f);                    \
  }

static inline f32 exp1(f32 x) {
  x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
  EXP_STEPS(f32, x, t, p)
  int e = (__builtin_bit_cast(int, t) + 127) << 23;
  return p * __builtin_bit_cast(f32, e);
}

static inline v16 exp16(v16 x) {
  x = __builtin_elementwise_max(splat(-87.3f), __builtin_elementwise_min(splat(88.3f), x));
  EXP_STEPS(v16, x, t, p)
  i16v e = ((i16v)t + 127) << 23;
  return p * (v16)e;
}

// ---- Row helpers: sums and maxima in 16 lanes, then across lanes, then the tail.
static inline f32 row_sum(const f32 *x, int n) {
  v16 acc = splat(0.0f);
  int i = 0;
  for (; i + 16 <= n; i += 16) acc += load16(x + i);
  f32 s = hsum16(acc);
  for (; i < n; i++) s += x[i];
  return s;
}

static inline f32 row_max(const f32 *x, int n) {
  v16 acc = splat(-3.0e38f);
  int i = 0;
  for (; i + 16 <= n; i += 16) acc = __builtin_elementwise_max(acc, load16(x + i));
  f32 m = hmax16(acc);
  for (; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

static inline f32 row_dot(const f32 *a, const f32 *b, int n) {
  v16 acc = splat(0.0f);
  int i = 0;
  for (; i + 16 <= n; i += 16) acc += load16(a + i) * load16(b + i);
  f32 s = hsum16(acc);
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

// In place over row[0..n): e^(x − max), unnormalised; writes the max and Σ e^(x − max).
static inline void exp_row(f32 *row, int n, f32 *max_out, f32 *sum_out) {
  f32 m = row_max(row, n);
  v16 acc = splat(0.0f);
  int j = 0;
  for (; j + 16 <= n; j += 16) {
    v16 e = exp16(load16(row + j) - m);
    store16(row + j, e);
    acc += e;
  }
  f32 s = hsum16(acc);
  for (; j < n; j++) {
    f32 e = exp1(row[j] - m);
    row[j] = e;
    s += e;
  }
  *max_out = m;
  *sum_out = s;
}

static inline void scale_row(f32 *row, int n, f32 k) {
  for (int j = 0; j < n; j++) row[j] *= k;
}

static inline void zero(f32 *x, long n) {
  for (long i = 0; i < n; i++) x[i] = 0.0f;
}

static inline void add_row(f32 *dst, const f32 *src, int width) {
  for (int i = 0; i < width; i++) dst[i] += src[i];
}

// ---- GELU, tanh form: x·σ(u), u = c·x·(1 + 0.044715·x²), c = 2·√(2/π).
#define GELU_C 1.5957691216057308f
#define GELU_K 0.044715f

typedef struct { const f32 *pre, *gate, *dact; f32 *act, *out; } gelu_args;

// One GELU form's two passes, element-wise and split over the pool: the forward writes the gate
// s = GATE (of x) and act = x·s; the backward dpre = dact·(DERIV) (of x and its gate s). Both forms
// share this shape and differ only in the two formulas, written where each form is declared below.
#define GELU_PASSES(name, GATE, DERIV)                                                        \
  static void name##_fwd_part(const void *p, int part, long from, long to) {                  \
    const gelu_args *a = p;                                                                   \
    for (long i = from; i < to; i++) {                                                        \
      f32 x = a->pre[i];                                                                      \
      f32 s = (GATE);                                                                         \
      a->out[i] = s; /* the gate */                                                           \
      a->act[i] = x * s;                                                                      \
    }                                                                                         \
  }                                                                                           \
  EXPORT void name##_fwd(const f32 *pre, int n, f32 *act, f32 *gate) {                        \
    gelu_args a = {.pre = pre, .act = act, .out = gate};                                      \
    parallel_for(name##_fwd_part, &a, n, GRAIN_ELEMENTS, ALIGN_ELEMENTS);                     \
  }                                                                                           \
  static void name##_bwd_part(const void *p, int part, long from, long to) {                  \
    const gelu_args *a = p;                                                                   \
    for (long i = from; i < to; i++) {                                                        \
      f32 x = a->pre[i], s = a->gate[i];                                                      \
      a->out[i] = a->dact[i] * (DERIV);                                                       \
    }                                                                                         \
  }                                                                                           \
  EXPORT void name##_bwd(const f32 *pre, const f32 *gate, const f32 *dact, int n, f32 *dpre) { \
    gelu_args a = {.pre = pre, .gate = gate, .dact = dact, .out = dpre};                      \
    parallel_for(name##_bwd_part, &a, n, GRAIN_ELEMENTS, ALIGN_ELEMENTS);                     \
  }

// Tanh form: s = σ(u), u = c·x·(1 + 0.044715·x²); d(x·s)/dx = s + x·s·(1 − s)·du/dx.
GELU_PASSES(gelu_tanh,
            1.0f / (1.0f + exp1(-GELU_C * x * (1.0f + GELU_K * x * x))),
            s + x * s * (1.0f - s) * GELU_C * (1.0f + 3.0f * GELU_K * x * x))

// ---- The exact GELU, x·Φ(x), Φ(x) = erfc(−x/√2)/2, erfc by Numerical Recipes' erfcc (as the wasm file).
static inline f32 erfc1(f32 x) {
  f32 z = x < 0.0f ? -x : x;
  f32 t = 1.0f / (1.0f + 0.5f * z);
  f32 p = 0.17087277f;
  p = p * t + -0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t + -1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t + -0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t + -1.26551223f;
  f32 ans = t * exp1(p - z * z);
  return x < 0.0f ? 2.0f - ans : ans;
}

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

// Exact form: s = Φ(x); d(x·Φ)/dx = Φ(x) + x·φ(x).
GELU_PASSES(gelu_erf,
            0.5f * erfc1(-INV_SQRT2 * x),
            s + x * INV_SQRT_2PI * exp1(-0.5f * x * x))

// ---- LayerNorm over rows of `width`, split by rows (the backward's dgamma and dbeta through
// partial sums, below).
typedef struct { const f32 *x, *gamma, *beta; f32 eps; int width; f32 *out, *mean, *rstd; } layer_norm_args;

static void layer_norm_fwd_part(const void *p, int part, long from, long to) {
  const layer_norm_args *a = p;
  const int width = a->width;
  for (long r = from; r < to; r++) {
    const f32 *xr = a->x + r * width;
    f32 *o = a->out + r * width;
    f32 mu = row_sum(xr, width) / (f32)width;
    v16 acc = splat(0.0f);
    int i = 0;
    for (; i + 16 <= width; i += 16) {
      v16 d = load16(xr + i) - mu;
      acc += d * d;
    }
    f32 sq = hsum16(acc);
    for (; i < width; i++) sq += (xr[i] - mu) * (xr[i] - mu);
    f32 s = 1.0f / __builtin_sqrtf(sq / (f32)width + a->eps);
    a->mean[r] = mu;
    a->rstd[r] = s;
    for (int j = 0; j < width; j++) o[j] = (xr[j] - mu) * s * a->gamma[j] + a->beta[j];
  }
}

EXPORT void layer_norm_fwd(const f32 *x, const f32 *gamma, const f32 *beta, f32 eps, int rows, int width, f32 *out, f32 *mean, f32 *rstd) {
  layer_norm_args a = {x, gamma, beta, eps, width, out, mean, rstd};
  parallel_for(layer_norm_fwd_part, &a, rows, row_grain(width, rows), 1);
}

// ---- Sums over rows (dgamma, dbeta, bias gradients) split by rows: part 0 accumulates into the
// outputs, part p > 0 into its own block of `sets` × `width` floats of scratch, and the blocks are
// added to the outputs in order afterwards. No scratch (one thread, or malloc failed): one part.
typedef struct { f32 *out[2]; int sets, width; f32 *scratch; } partial_sums;

// The part's accumulator for set `set`: the output itself for part 0, its scratch block otherwise.
static inline f32 *partial(const partial_sums *ps, int part, int set) {
  return part == 0 ? ps->out[set] : ps->scratch + ((long)(part - 1) * ps->sets + set) * ps->width;
}

// fn over `rows` (fn's args hold `ps`), the parts' sums then added to the outputs and the scratch freed.
static void sum_over_rows(part_fn fn, const void *args, int rows, partial_sums *ps) {
  long grain = row_grain(ps->width, rows);
  ps->scratch = 0;
  if (pool_threads() > 1 && rows / grain >= 2) ps->scratch = malloc(sizeof(f32) * (size_t)(pool_threads() - 1) * ps->sets * ps->width);
  if (ps->scratch == 0) grain = rows;
  int parts = parallel_for(fn, args, rows, grain, 1);
  for (int set = 0; set < ps->sets; set++) {
    if (parts == 0) zero(ps->out[set], ps->width);
    for (int p = 1; p < parts; p++) add_row(ps->out[set], partial(ps, p, set), ps->width);
  }
  free(ps->scratch);
}

// dx is ADDED to (the residual stream's gradient); dgamma and dbeta are overwritten.
typedef struct {
  const f32 *dout, *x, *mean, *rstd, *gamma;
  int width;
  f32 *dx;
  partial_sums sums;  // dgamma, dbeta
} layer_norm_bwd_args;

static void layer_norm_bwd_part(const void *p, int part, long from, long to) {
  const layer_norm_bwd_args *a = p;
  const int width = a->width;
  const f32 *gamma = a->gamma;
  f32 *dgamma = partial(&a->sums, part, 0), *dbeta = partial(&a->sums, part, 1);
  zero(dgamma, width);
  zero(dbeta, width);
  for (long r = from; r < to; r++) {
    const f32 *xr = a->x + r * width, *dr = a->dout + r * width;
    f32 *dxr = a->dx + r * width;
    const f32 mu = a->mean[r], s = a->rstd[r];
    v16 a1 = splat(0.0f), a2 = splat(0.0f);
    int i = 0;
    for (; i + 16 <= width; i += 16) {
      v16 xh = (load16(xr + i) - mu) * s;
      v16 d = load16(dr + i);
      v16 dxh = d * load16(gamma + i);
      a1 += dxh;
      a2 += dxh * xh;
      store16(dgamma + i, load16(dgamma + i) + d * xh);
      store16(dbeta + i, load16(dbeta + i) + d);
    }
    f32 m1 = hsum16(a1), m2 = hsum16(a2);
    for (; i < width; i++) {
      f32 xh = (xr[i] - mu) * s, d = dr[i], dxh = d * gamma[i];
      m1 += dxh;
      m2 += dxh * xh;
      dgamma[i] += d * xh;
      dbeta[i] += d;
    }
    m1 /= (f32)width;
    m2 /= (f32)width;
    for (int j = 0; j < width; j++) {
      f32 xh = (xr[j] - mu) * s;
      dxr[j] += s * (dr[j] * gamma[j] - m1 - xh * m2);
    }
  }
}

EXPORT void layer_norm_bwd(const f32 *dout, const f32 *x, const f32 *mean, const f32 *rstd, const f32 *gamma,
                           int rows, int width, f32 *dx, f32 *dgamma, f32 *dbeta) {
  layer_norm_bwd_args a = {dout, x, mean, rstd, gamma, width, dx, {{dgamma, dbeta}, 2, width, 0}};
  sum_over_rows(layer_norm_bwd_part, &a, rows, &a.sums);
}

// ---- Causal softmax over `count` [seq, seq] blocks, in place: row i becomes the softmax of
// columns j ≤ i; columns j > i become 0. Split by blocks.
typedef struct { const f32 *probs; f32 *blocks; int seq; } causal_args;

static void causal_softmax_part(const void *p, int part, long from, long to) {
  const causal_args *a = p;
  const int seq = a->seq;
  for (long b = from; b < to; b++) {
    for (int i = 0; i < seq; i++) {
      f32 *row = a->blocks + (b * seq + i) * seq;
      f32 m, s;
      exp_row(row, i + 1, &m, &s);
      scale_row(row, i + 1, 1.0f / s);
      zero(row + i + 1, seq - i - 1);
    }
  }
}

EXPORT void causal_softmax(f32 *blocks, int count, int seq) {
  causal_args a = {.blocks = blocks, .seq = seq};
  parallel_for(causal_softmax_part, &a, count, row_grain((long)seq * seq, count), 1);
}

// In place: dP becomes P ⊙ (dP − rowsum(dP ⊙ P)); masked columns 0.
static void causal_softmax_bwd_part(const void *p, int part, long from, long to) {
  const causal_args *a = p;
  const int seq = a->seq;
  for (long b = from; b < to; b++) {
    for (int i = 0; i < seq; i++) {
      const f32 *pr = a->probs + (b * seq + i) * seq;
      f32 *d = a->blocks + (b * seq + i) * seq;
      const int n = i + 1;
      f32 dot = row_dot(d, pr, n);
      for (int j = 0; j < n; j++) d[j] = pr[j] * (d[j] - dot);
      zero(d + n, seq - n);
    }
  }
}

EXPORT void causal_softmax_bwd(const f32 *probs, f32 *dp, int count, int seq) {
  causal_args a = {.probs = probs, .blocks = dp, .seq = seq};
  parallel_for(causal_softmax_bwd_part, &a, count, row_grain((long)seq * seq, count), 1);
}

// ---- Small helpers.
typedef struct { f32 *dst; const f32 *src; } add_args;

static void add_into_part(const void *p, int part, long from, long to) {
  const add_args *a = p;
  for (long i = from; i < to; i++) a->dst[i] += a->src[i];
}

EXPORT void add_into(f32 *dst, const f32 *src, int n) {
  add_args a = {dst, src};
  parallel_for(add_into_part, &a, n, GRAIN_ELEMENTS, ALIGN_ELEMENTS);
}

typedef struct { const f32 *x; partial_sums sums; } column_sums_args;

static void column_sums_part(const void *p, int part, long from, long to) {
  const column_sums_args *a = p;
  const int width = a->sums.width;
  f32 *out = partial(&a->sums, part, 0);
  zero(out, width);
  for (long r = from; r < to; r++) add_row(out, a->x + r * width, width);
}

EXPORT void column_sums(const f32 *x, int rows, int width, f32 *out) {
  column_sums_args a = {x, {{out, 0}, 1, width, 0}};
  sum_over_rows(column_sums_part, &a, rows, &a.sums);
}

// Σ x² in double across float32 partial sums of ≤ 4096 values (as the wasm kernel), each thread
// summing its own part into its slot; the parts are added in order.
typedef struct { const f32 *x; double part[POOL_MAX_THREADS]; } sum_squares_args;

static void sum_squares_part(const void *p, int part, long from, long to) {
  sum_squares_args *a = (sum_squares_args *)p;
  double total = 0.0;
  for (long i = from; i < to;) {
    long end = to - i > 4096 ? i + 4096 : to;
    total += row_dot(a->x + i, a->x + i, (int)(end - i));
    i = end;
  }
  a->part[part] = total;
}

EXPORT double sum_squares(const f32 *x, int n) {
  sum_squares_args a = {.x = x};
  int parts = parallel_for(sum_squares_part, &a, n, 4 * GRAIN_ELEMENTS, 4096);
  double total = 0.0;
  for (int t = 0; t < parts; t++) total += a.part[t];
  return total;
}

// ---- One AdamW update (torch.optim.AdamW), g scaled by gscale first (gradient clipping):
// m' = b1·m + (1−b1)·g, v' = b2·v + (1−b2)·g², p' = p·decay − lr/c1 · m' / (√(v'/c2) + eps).
typedef struct {
  const f32 *p, *m, *v, *g;
  f32 b1, b2, step, inv_c2, eps, decay, gscale;
  f32 *pout, *mout, *vout;
} adamw_args;

static void adamw_part(const void *q, int part, long from, long to) {
  const adamw_args *a = q;
  const f32 b1 = a->b1, a1 = 1.0f - a->b1, b2 = a->b2, a2 = 1.0f - a->b2;
  // Element i reads and writes only index i (so the outputs may be the inputs themselves, as
  // adamwInPlace passes them): seven pointers are more than the vectoriser checks for overlap at
  // run time, so it is told the loop is safe.
#pragma clang loop vectorize(assume_safety)
  for (long i = from; i < to; i++) {
    f32 gi = a->g[i] * a->gscale;
    f32 mi = b1 * a->m[i] + a1 * gi;
    f32 vi = b2 * a->v[i] + a2 * (gi * gi);
    a->mout[i] = mi;
    a->vout[i] = vi;
    a->pout[i] = a->p[i] * a->decay - (a->step * mi) / (__builtin_sqrtf(vi * a->inv_c2) + a->eps);
  }
}

EXPORT void adamw(const f32 *p, const f32 *m, const f32 *v, const f32 *g, int n,
                  f32 b1, f32 b2, f32 c1, f32 c2, f32 eps, f32 lr, f32 decay, f32 gscale,
                  f32 *pout, f32 *mout, f32 *vout) {
  adamw_args a = {p, m, v, g, b1, b2, lr / c1, 1.0f / c2, eps, decay, gscale, pout, mout, vout};
  parallel_for(adamw_part, &a, n, GRAIN_ELEMENTS, ALIGN_ELEMENTS);
}

// ---- The loss head's softmax cross-entropy, split by rows. The forward leaves each row
// e^(x − max), unnormalised, and writes max, sum and the target's logit; the backward turns it into
// the gradient dce[r]·(e/sum[r] − onehot(target)).
typedef struct { f32 *rows; int vocab; const int *targets; f32 *max, *sum, *picked; const f32 *dce; } softmax_ce_args;

static void softmax_ce_fwd_part(const void *p, int part, long from, long to) {
  const softmax_ce_args *a = p;
  for (long r = from; r < to; r++) {
    f32 *row = a->rows + r * a->vocab;
    a->picked[r] = row[a->targets[r]];
    exp_row(row, a->vocab, a->max + r, a->sum + r);
  }
}

EXPORT void softmax_ce_fwd(f32 *logits, int rows, int vocab, const int *targets, f32 *max, f32 *sum, f32 *picked) {
  softmax_ce_args a = {.rows = logits, .vocab = vocab, .targets = targets, .max = max, .sum = sum, .picked = picked};
  parallel_for(softmax_ce_fwd_part, &a, rows, row_grain(vocab, rows), 1);
}

static void softmax_ce_bwd_part(const void *p, int part, long from, long to) {
  const softmax_ce_args *a = p;
  for (long r = from; r < to; r++) {
    f32 *row = a->rows + r * a->vocab;
    f32 g = a->dce[r];
    scale_row(row, a->vocab, g / a->sum[r]);
    row[a->targets[r]] -= g;
  }
}

EXPORT void softmax_ce_bwd(f32 *exps, int rows, int vocab, const int *targets, const f32 *dce, const f32 *sum) {
  softmax_ce_args a = {.rows = exps, .vocab = vocab, .targets = targets, .sum = (f32 *)sum, .dce = dce};
  parallel_for(softmax_ce_bwd_part, &a, rows, row_grain(vocab, rows), 1);
}

// ---- RMSNorm (llama): out = x / √(mean(x²) + eps) · gamma per row; rstd[r] kept.
typedef struct { const f32 *x, *gamma; f32 eps; int width; f32 *out, *rstd; } rms_norm_args;

static void rms_norm_fwd_part(const void *p, int part, long from, long to) {
  const rms_norm_args *a = p;
  const int width = a->width;
  for (long r = from; r < to; r++) {
    const f32 *xr = a->x + r * width;
    f32 *o = a->out + r * width;
    f32 s = 1.0f / __builtin_sqrtf(row_dot(xr, xr, width) / (f32)width + a->eps);
    a->rstd[r] = s;
    for (int j = 0; j < width; j++) o[j] = xr[j] * s * a->gamma[j];
  }
}

EXPORT void rms_norm_fwd(const f32 *x, const f32 *gamma, f32 eps, int rows, int width, f32 *out, f32 *rstd) {
  rms_norm_args a = {x, gamma, eps, width, out, rstd};
  parallel_for(rms_norm_fwd_part, &a, rows, row_grain(width, rows), 1);
}

// dx is ADDED to; dgamma overwritten. dx = s·(dy·g − x̂·mean(dy·g·x̂)), x̂ = x·s.
typedef struct { const f32 *dout, *x, *rstd, *gamma; int width; f32 *dx; partial_sums sums; /* dgamma */ } rms_norm_bwd_args;

static void rms_norm_bwd_part(const void *p, int part, long from, long to) {
  const rms_norm_bwd_args *a = p;
  const int width = a->width;
  const f32 *gamma = a->gamma;
  f32 *dgamma = partial(&a->sums, part, 0);
  zero(dgamma, width);
  for (long r = from; r < to; r++) {
    const f32 *xr = a->x + r * width, *dr = a->dout + r * width;
    f32 *dxr = a->dx + r * width;
    const f32 s = a->rstd[r];
    v16 acc = splat(0.0f);
    int i = 0;
    for (; i + 16 <= width; i += 16) {
      v16 xh = load16(xr + i) * s;
      v16 d = load16(dr + i);
      acc += d * load16(gamma + i) * xh;
      store16(dgamma + i, load16(dgamma + i) + d * xh);
    }
    f32 m = hsum16(acc);
    for (; i < width; i++) {
      f32 xh = xr[i] * s;
      m += dr[i] * gamma[i] * xh;
      dgamma[i] += dr[i] * xh;
    }
    m /= (f32)width;
    for (int j = 0; j < width; j++) dxr[j] += s * (dr[j] * gamma[j] - xr[j] * s * m);
  }
}

EXPORT void rms_norm_bwd(const f32 *dout, const f32 *x, const f32 *rstd, const f32 *gamma, int rows, int width, f32 *dx, f32 *dgamma) {
  rms_norm_bwd_args a = {dout, x, rstd, gamma, width, dx, {{dgamma, 0}, 1, width, 0}};
  sum_over_rows(rms_norm_bwd_part, &a, rows, &a.sums);
}

// ---- SwiGLU (llama's MLP): out = silu(gate)·up, silu(g) = g·σ(g); sig keeps σ(g).
typedef struct { const f32 *gate, *up, *sig, *dout; f32 *out, *out2; } swiglu_args;

static void swiglu_fwd_part(const void *p, int part, long from, long to) {
  const swiglu_args *a = p;
  for (long i = from; i < to; i++) {
    f32 g = a->gate[i];
    f32 s = 1.0f / (1.0f + exp1(-g));
    a->out2[i] = s;
    a->out[i] = g * s * a->up[i];
  }
}

EXPORT void swiglu_fwd(const f32 *gate, const f32 *up, int n, f32 *out, f32 *sig) {
  swiglu_args a = {.gate = gate, .up = up, .out = out, .out2 = sig};
  parallel_for(swiglu_fwd_part, &a, n, GRAIN_ELEMENTS, ALIGN_ELEMENTS);
}

// dgate = dout·up·σ(g)·(1 + g·(1 − σ(g))), dup = dout·silu(g).
static void swiglu_bwd_part(const void *p, int part, long from, long to) {
  const swiglu_args *a = p;
#pragma clang loop vectorize(assume_safety)  // element-wise, as adamw_part
  for (long i = from; i < to; i++) {
    f32 g = a->gate[i], s = a->sig[i], d = a->dout[i];
    a->out2[i] = d * g * s;
    a->out[i] = d * a->up[i] * s * (1.0f + g * (1.0f - s));
  }
}

EXPORT void swiglu_bwd(const f32 *gate, const f32 *up, const f32 *sig, const f32 *dout, int n, f32 *dgate, f32 *dup) {
  swiglu_args a = {.gate = gate, .up = up, .sig = sig, .dout = dout, .out = dgate, .out2 = dup};
  parallel_for(swiglu_bwd_part, &a, n, GRAIN_ELEMENTS, ALIGN_ELEMENTS);
}

// ---- Token (and position) embedding: out[r] = table[ids[r]] (+ positions[r mod seq]); positions
// is 0 for none. The backward zeroes the table's gradient and adds each row's into its id's row
// (ids repeat, so it stays on one thread).
EXPORT void embed_fwd(const f32 *table, const f32 *positions, const int *ids, int rows, int seq, int width, f32 *out) {
  for (int r = 0; r < rows; r++) {
    const f32 *t = table + (long)ids[r] * width;
    f32 *o = out + (long)r * width;
    if (positions != 0) {
      const f32 *p = positions + (long)(r % seq) * width;
      for (int i = 0; i < width; i++) o[i] = t[i] + p[i];
    } else {
      for (int i = 0; i < width; i++) o[i] = t[i];
    }
  }
}

EXPORT void embed_bwd(const f32 *dx, const int *ids, int rows, int seq, int width, f32 *dtable, int vocab, f32 *dpositions, int positions) {
  zero(dtable, (long)vocab * width);
  if (dpositions != 0) zero(dpositions, (long)positions * width);
  for (int r = 0; r < rows; r++) {
    const f32 *g = dx + (long)r * width;
    add_row(dtable + (long)ids[r] * width, g, width);
    if (dpositions != 0) add_row(dpositions + (long)(r % seq) * width, g, width);
  }
}

// ---- bf16: dst[r·cols + c] = bf16(src[r·ld + c]), round to nearest even, a NaN kept a (quiet) NaN;
// split by rows.
typedef struct { const f32 *src; int cols, ld; unsigned short *dst; } bf16_pack_args;

static void f32_to_bf16_part(const void *p, int part, long from, long to) {
  const bf16_pack_args *a = p;
  for (long r = from; r < to; r++) {
    const f32 *s = a->src + r * a->ld;
    unsigned short *d = a->dst + r * a->cols;
    for (int c = 0; c < a->cols; c++) {
      unsigned int u = __builtin_bit_cast(unsigned int, s[c]);
      d[c] = (unsigned short)((s[c] != s[c] ? (u | 0x00400000u) : u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
  }
}

EXPORT void f32_to_bf16(const f32 *src, int rows, int cols, int ld, unsigned short *dst) {
  bf16_pack_args a = {src, cols, ld, dst};
  parallel_for(f32_to_bf16_part, &a, rows, row_grain(cols, rows), 1);
}

// ---- The pool's size, set by the loader (the BLAS's thread count), and the number actually running.
EXPORT int sftgoc_set_threads(int threads) { return pool_set_threads(threads); }
EXPORT int sftgoc_threads(void) { return pool_threads(); }

// The address of the first byte a pointer argument points at: the loader passes the wasm memory's
// buffer (koffi hands a typed array's own bytes to C, uncopied) and adds tensors' offsets to this.
EXPORT unsigned long sftgoc_address(const void *p) { return (unsigned long)p; }
