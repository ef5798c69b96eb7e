// sftgoc's element-wise kernels in WebAssembly SIMD (128-bit), built by scripts/build-simd.sh into
// assets/simd/sftgoc-simd.wasm (committed, so `npm ci` needs no compiler).
//
// Why: JavaScript has no SIMD, and its scalar loops run the trunk's GELU, softmax and LayerNorm at
// 5-10 ns per element; these run 4 lanes at a time. The module IMPORTS the memory of
// tfjs-backend-wasm, so it works in place on the tensors and on buffers malloc'ed there, and
// cblas_sgemm sees the same bytes through Float32Array views: nothing is copied.
//
// Rules that keep it safe inside another module's memory: no static data, no globals, no stack
// (only scalars and v128 locals; no arrays, no address taken, no libc). build-simd.sh checks that
// the binary has no data section, and test/backend/simd.test.ts checks it again.
// Every function has a plain-loop counterpart in src/model/native/rows.ts or
// src/backend/kernels/adamw.ts; the tests compare the two.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))

typedef float f32;
typedef v128_t f4;

// e^x per lane, ~2 ulp: x = k·ln2 + r (Cody-Waite split of ln2), e^r by a degree-6 polynomial,
// 2^k built in the exponent bits. x is clamped to [-87.3, 88.3]: results below 2^-126 are 0 and
// above FLT_MAX are not reached by the callers (softmax arguments are ≤ 0; GELU's are bounded).
// k is rounded by adding 1.5·2^23 (a float in [2^23, 2^24) has unit spacing, so the sum rounds
// x·log2(e) to the nearest integer, held in its low mantissa bits): its bits + 127, shifted into
// the exponent field, are 2^k (the magic's own bits shift out). That drops the floor and the
// saturating float-to-int conversion (which V8 lowers to several x64 instructions) for one
// subtraction, on the path of every GELU and softmax element (GELU over 4 M values: 6.9 → 6.2 ms).
#define EXP_ROUND 12582912.0f
static inline f4 exp4(f4 x) {
  x = wasm_f32x4_pmax(wasm_f32x4_splat(-87.3f), wasm_f32x4_pmin(wasm_f32x4_splat(88.3f), x));
  f4 t = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)), wasm_f32x4_splat(EXP_ROUND));
  f4 k = wasm_f32x4_sub(t, wasm_f32x4_splat(EXP_ROUND));
  f4 r = wasm_f32x4_sub(x, wasm_f32x4_mul(k, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(k, wasm_f32x4_splat(-2.12194440e-4f)));
  f4 p = wasm_f32x4_splat(1.9875691500e-4f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.3981999507e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(8.3334519073e-3f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(4.1665795894e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.6666665459e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(5.0000001201e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, r), r), wasm_f32x4_add(r, wasm_f32x4_splat(1.0f)));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(t, wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

static inline f32 exp1(f32 x) {
  return wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(x)), 0);
}

static inline f32 hsum(f4 v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

static inline f32 hmax(f4 v) {
  f32 a = wasm_f32x4_extract_lane(v, 0), b = wasm_f32x4_extract_lane(v, 1);
  f32 c = wasm_f32x4_extract_lane(v, 2), d = wasm_f32x4_extract_lane(v, 3);
  f32 ab = a > b ? a : b, cd = c > d ? c : d;
  return ab > cd ? ab : cd;
}

#define LOAD(p) wasm_v128_load(p)
#define STORE(p, v) wasm_v128_store(p, v)

// ---- GELU, tanh form: x·σ(u), u = c·x·(1 + 0.044715·x²), c = 2·√(2/π) (= 0.5·x·(1 + tanh(u/2))).
#define GELU_C 1.5957691216057308f
#define GELU_K 0.044715f

EXPORT(gelu_tanh_fwd) void gelu_tanh_fwd(const f32 *pre, int n, f32 *act, f32 *gate) {
  int i = 0;
  const f4 c = wasm_f32x4_splat(-GELU_C), k = wasm_f32x4_splat(GELU_K), one = wasm_f32x4_splat(1.0f);
  for (; i + 4 <= n; i += 4) {
    f4 x = LOAD(pre + i);
    f4 u = wasm_f32x4_mul(wasm_f32x4_mul(c, x), wasm_f32x4_add(one, wasm_f32x4_mul(k, wasm_f32x4_mul(x, x))));
    f4 s = wasm_f32x4_div(one, wasm_f32x4_add(one, exp4(u)));
    STORE(gate + i, s);
    STORE(act + i, wasm_f32x4_mul(x, s));
  }
  for (; i < n; i++) {
    f32 x = pre[i];
    f32 s = 1.0f / (1.0f + exp1(-GELU_C * x * (1.0f + GELU_K * x * x)));
    gate[i] = s;
    act[i] = x * s;
  }
}

EXPORT(gelu_tanh_bwd) void gelu_tanh_bwd(const f32 *pre, const f32 *gate, const f32 *dact, int n, f32 *dpre) {
  int i = 0;
  const f4 c = wasm_f32x4_splat(GELU_C), k3 = wasm_f32x4_splat(3.0f * GELU_K), one = wasm_f32x4_splat(1.0f);
  for (; i + 4 <= n; i += 4) {
    f4 x = LOAD(pre + i), s = LOAD(gate + i);
    f4 du = wasm_f32x4_mul(c, wasm_f32x4_add(one, wasm_f32x4_mul(k3, wasm_f32x4_mul(x, x))));
    f4 d = wasm_f32x4_add(s, wasm_f32x4_mul(wasm_f32x4_mul(x, wasm_f32x4_mul(s, wasm_f32x4_sub(one, s))), du));
    STORE(dpre + i, wasm_f32x4_mul(LOAD(dact + i), d));
  }
  for (; i < n; i++) {
    f32 x = pre[i], s = gate[i];
    dpre[i] = dact[i] * (s + x * s * (1.0f - s) * GELU_C * (1.0f + 3.0f * GELU_K * x * x));
  }
}

// ---- LayerNorm over rows of `width`.
EXPORT(layer_norm_fwd) void layer_norm_fwd(const f32 *x, const f32 *gamma, const f32 *beta, f32 eps, int rows, int width,
                                           f32 *out, f32 *mean, f32 *rstd) {
  for (int r = 0; r < rows; r++) {
    const f32 *xr = x + r * width;
    f32 *o = out + r * width;
    f4 acc = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= width; i += 4) acc = wasm_f32x4_add(acc, LOAD(xr + i));
    f32 sum = hsum(acc);
    for (; i < width; i++) sum += xr[i];
    f32 mu = sum / (f32)width;
    f4 m4 = wasm_f32x4_splat(mu);
    acc = wasm_f32x4_splat(0.0f);
    i = 0;
    for (; i + 4 <= width; i += 4) {
      f4 d = wasm_f32x4_sub(LOAD(xr + i), m4);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(d, d));
    }
    f32 sq = hsum(acc);
    for (; i < width; i++) sq += (xr[i] - mu) * (xr[i] - mu);
    f32 s = 1.0f / __builtin_sqrtf(sq / (f32)width + eps);
    mean[r] = mu;
    rstd[r] = s;
    f4 s4 = wasm_f32x4_splat(s);
    i = 0;
    for (; i + 4 <= width; i += 4) {
      f4 xh = wasm_f32x4_mul(wasm_f32x4_sub(LOAD(xr + i), m4), s4);
      STORE(o + i, wasm_f32x4_add(wasm_f32x4_mul(xh, LOAD(gamma + i)), LOAD(beta + i)));
    }
    for (; i < width; i++) o[i] = (xr[i] - mu) * s * gamma[i] + beta[i];
  }
}

// dx is ADDED to (the residual stream's gradient); dgamma and dbeta are overwritten.
EXPORT(layer_norm_bwd) void layer_norm_bwd(const f32 *dout, const f32 *x, const f32 *mean, const f32 *rstd, const f32 *gamma,
                                           int rows, int width, f32 *dx, f32 *dgamma, f32 *dbeta) {
  for (int i = 0; i < width; i++) {
    dgamma[i] = 0.0f;
    dbeta[i] = 0.0f;
  }
  for (int r = 0; r < rows; r++) {
    const f32 *xr = x + r * width, *dr = dout + r * width;
    f32 *dxr = dx + r * width;
    f4 m4 = wasm_f32x4_splat(mean[r]), s4 = wasm_f32x4_splat(rstd[r]);
    f4 a1 = wasm_f32x4_splat(0.0f), a2 = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= width; i += 4) {
      f4 xh = wasm_f32x4_mul(wasm_f32x4_sub(LOAD(xr + i), m4), s4);
      f4 d = LOAD(dr + i);
      f4 dxh = wasm_f32x4_mul(d, LOAD(gamma + i));
      a1 = wasm_f32x4_add(a1, dxh);
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(dxh, xh));
      STORE(dgamma + i, wasm_f32x4_add(LOAD(dgamma + i), wasm_f32x4_mul(d, xh)));
      STORE(dbeta + i, wasm_f32x4_add(LOAD(dbeta + i), d));
    }
    f32 m1 = hsum(a1), m2 = hsum(a2);
    f32 mu = mean[r], s = rstd[r];
    for (; i < width; i++) {
      f32 xh = (xr[i] - mu) * s, d = dr[i], dxh = d * gamma[i];
      m1 += dxh;
      m2 += dxh * xh;
      dgamma[i] += d * xh;
      dbeta[i] += d;
    }
    m1 /= (f32)width;
    m2 /= (f32)width;
    f4 m14 = wasm_f32x4_splat(m1), m24 = wasm_f32x4_splat(m2);
    i = 0;
    for (; i + 4 <= width; i += 4) {
      f4 xh = wasm_f32x4_mul(wasm_f32x4_sub(LOAD(xr + i), m4), s4);
      f4 g = wasm_f32x4_sub(wasm_f32x4_sub(wasm_f32x4_mul(LOAD(dr + i), LOAD(gamma + i)), m14), wasm_f32x4_mul(xh, m24));
      STORE(dxr + i, wasm_f32x4_add(LOAD(dxr + i), wasm_f32x4_mul(s4, g)));
    }
    for (; i < width; i++) {
      f32 xh = (xr[i] - mu) * s;
      dxr[i] += s * (dr[i] * gamma[i] - m1 - xh * m2);
    }
  }
}

// In place over row[0..n): e^(x − max), unnormalised; writes the max and the sum Σ e^(x − max).
static inline void exp_row(f32 *row, int n, f32 *max_out, f32 *sum_out) {
  int j = 0;
  f4 mx = wasm_f32x4_splat(-3.0e38f);
  for (; j + 4 <= n; j += 4) mx = wasm_f32x4_pmax(mx, LOAD(row + j));
  f32 m = hmax(mx);
  for (; j < n; j++) m = row[j] > m ? row[j] : m;
  f4 m4 = wasm_f32x4_splat(m), acc = wasm_f32x4_splat(0.0f);
  j = 0;
  for (; j + 4 <= n; j += 4) {
    f4 e = exp4(wasm_f32x4_sub(LOAD(row + j), m4));
    STORE(row + j, e);
    acc = wasm_f32x4_add(acc, e);
  }
  f32 s = hsum(acc);
  for (; j < n; j++) {
    f32 e = exp1(row[j] - m);
    row[j] = e;
    s += e;
  }
  *max_out = m;
  *sum_out = s;
}

// In place over row[0..n): e^(x − max) / Σ; writes the max and the sum. The attention's softmax.
static inline void softmax_row(f32 *row, int n, f32 *max_out, f32 *sum_out) {
  exp_row(row, n, max_out, sum_out);
  f4 inv = wasm_f32x4_splat(1.0f / *sum_out);
  int j = 0;
  for (; j + 4 <= n; j += 4) STORE(row + j, wasm_f32x4_mul(LOAD(row + j), inv));
  f32 inv1 = 1.0f / *sum_out;
  for (; j < n; j++) row[j] *= inv1;
}

// row[from..to) = 0, 4 lanes at a time once aligned with `from`'s row start: half of every causal
// block is this tail (-fno-builtin leaves clang no memset to call, and it kept the loop scalar).
static inline void zero_tail(f32 *row, int from, int to) {
  int j = from;
  for (; j < to && (j & 3) != 0; j++) row[j] = 0.0f;
  const f4 z = wasm_f32x4_splat(0.0f);
  for (; j + 4 <= to; j += 4) STORE(row + j, z);
  for (; j < to; j++) row[j] = 0.0f;
}

// ---- Causal softmax over `count` consecutive [seq, seq] blocks, in place: row i becomes the
// softmax of columns j ≤ i, and the columns j > i become 0.
EXPORT(causal_softmax) void causal_softmax(f32 *blocks, int count, int seq) {
  for (int b = 0; b < count; b++) {
    for (int i = 0; i < seq; i++) {
      f32 *row = blocks + ((long)b * seq + i) * seq;
      f32 m, s;
      softmax_row(row, i + 1, &m, &s);
      zero_tail(row, i + 1, seq);
    }
  }
}

// In place over `count` blocks: dP becomes P ⊙ (dP − rowsum(dP ⊙ P)); masked columns 0.
EXPORT(causal_softmax_bwd) void causal_softmax_bwd(const f32 *probs, f32 *dp, int count, int seq) {
  for (int b = 0; b < count; b++) {
    for (int i = 0; i < seq; i++) {
      const f32 *p = probs + ((long)b * seq + i) * seq;
      f32 *d = dp + ((long)b * seq + i) * seq;
      int n = i + 1, j = 0;
      f4 acc = wasm_f32x4_splat(0.0f);
      for (; j + 4 <= n; j += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(LOAD(d + j), LOAD(p + j)));
      f32 dot = hsum(acc);
      for (; j < n; j++) dot += d[j] * p[j];
      f4 dot4 = wasm_f32x4_splat(dot);
      j = 0;
      for (; j + 4 <= n; j += 4) STORE(d + j, wasm_f32x4_mul(LOAD(p + j), wasm_f32x4_sub(LOAD(d + j), dot4)));
      for (; j < n; j++) d[j] = p[j] * (d[j] - dot);
      zero_tail(d, n, seq);
    }
  }
}

// ---- Small helpers.
EXPORT(add_into) void add_into(f32 *dst, const f32 *src, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) STORE(dst + i, wasm_f32x4_add(LOAD(dst + i), LOAD(src + i)));
  for (; i < n; i++) dst[i] += src[i];
}

EXPORT(column_sums) void column_sums(const f32 *x, int rows, int width, f32 *out) {
  for (int i = 0; i < width; i++) out[i] = 0.0f;
  for (int r = 0; r < rows; r++) {
    const f32 *xr = x + r * width;
    int i = 0;
    for (; i + 4 <= width; i += 4) STORE(out + i, wasm_f32x4_add(LOAD(out + i), LOAD(xr + i)));
    for (; i < width; i++) out[i] += xr[i];
  }
}

// ---- Σ x² of n values, in double across lanes' partial sums (each partial sum covers ≤ 4096
// values in float32, so a large tensor loses no more than a long float32 sum of that length).
EXPORT(sum_squares) double sum_squares(const f32 *x, int n) {
  double total = 0.0;
  int i = 0;
  while (i < n) {
    int end = n - i > 4096 ? i + 4096 : n;
    f4 acc = wasm_f32x4_splat(0.0f);
    for (; i + 4 <= end; i += 4) {
      f4 v = LOAD(x + i);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(v, v));
    }
    double part = hsum(acc);
    for (; i < end; i++) part += (double)x[i] * x[i];
    total += part;
  }
  return total;
}

// ---- One AdamW update (torch.optim.AdamW), g scaled by gscale first (gradient clipping):
// m' = b1·m + (1−b1)·g, v' = b2·v + (1−b2)·g², p' = p·decay − lr/c1 · m' / (√(v'/c2) + eps).
// The outputs may be the inputs themselves (adamwInPlace): element i is read before it is written.
EXPORT(adamw) void adamw(const f32 *p, const f32 *m, const f32 *v, const f32 *g, int n,
                         f32 b1, f32 b2, f32 c1, f32 c2, f32 eps, f32 lr, f32 decay, f32 gscale,
                         f32 *pout, f32 *mout, f32 *vout) {
  const f4 B1 = wasm_f32x4_splat(b1), A1 = wasm_f32x4_splat(1.0f - b1), B2 = wasm_f32x4_splat(b2), A2 = wasm_f32x4_splat(1.0f - b2);
  const f4 STEP = wasm_f32x4_splat(lr / c1), IC2 = wasm_f32x4_splat(1.0f / c2), EPS = wasm_f32x4_splat(eps);
  const f4 DECAY = wasm_f32x4_splat(decay), GS = wasm_f32x4_splat(gscale);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    f4 gi = wasm_f32x4_mul(LOAD(g + i), GS);
    f4 mi = wasm_f32x4_add(wasm_f32x4_mul(B1, LOAD(m + i)), wasm_f32x4_mul(A1, gi));
    f4 vi = wasm_f32x4_add(wasm_f32x4_mul(B2, LOAD(v + i)), wasm_f32x4_mul(A2, wasm_f32x4_mul(gi, gi)));
    STORE(mout + i, mi);
    STORE(vout + i, vi);
    f4 denom = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vi, IC2)), EPS);
    STORE(pout + i, wasm_f32x4_sub(wasm_f32x4_mul(LOAD(p + i), DECAY), wasm_f32x4_div(wasm_f32x4_mul(STEP, mi), denom)));
  }
  for (; i < n; i++) {
    f32 gi = g[i] * gscale;
    f32 mi = b1 * m[i] + (1.0f - b1) * gi;
    f32 vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    mout[i] = mi;
    vout[i] = vi;
    pout[i] = p[i] * decay - (lr / c1) * mi / (__builtin_sqrtf(vi / c2) + eps);
  }
}

// ---- The loss head's softmax cross-entropy over `rows` rows of `vocab` logits, in place: each
// row becomes its softmax, and max[r], sum[r] (Σ e^(l − max)) and picked[r] (the target's logit)
// are written, so the caller forms ce = (max − picked) + log(sum). targets are int32 in [0, vocab).
EXPORT(softmax_ce_fwd) void softmax_ce_fwd(f32 *logits, int rows, int vocab, const int *targets, f32 *max, f32 *sum, f32 *picked) {
  // The row is left unnormalised (e^(x − max)): the backward is the only reader and scales by
  // dce / sum in the pass it makes anyway, which saves a read and a write of [rows × vocab] here.
  for (int r = 0; r < rows; r++) {
    f32 *row = logits + (long)r * vocab;
    picked[r] = row[targets[r]];
    exp_row(row, vocab, max + r, sum + r);
  }
}

// In place: the forward's e^(x − max) become the logits' gradient, dce[r]·(e / sum[r] − onehot(target)).
EXPORT(softmax_ce_bwd) void softmax_ce_bwd(f32 *exps, int rows, int vocab, const int *targets, const f32 *dce, const f32 *sum) {
  for (int r = 0; r < rows; r++) {
    f32 *row = exps + (long)r * vocab;
    f32 g = dce[r];
    f32 scale = g / sum[r];
    f4 s4 = wasm_f32x4_splat(scale);
    int j = 0;
    for (; j + 4 <= vocab; j += 4) STORE(row + j, wasm_f32x4_mul(LOAD(row + j), s4));
    for (; j < vocab; j++) row[j] *= scale;
    row[targets[r]] -= g;
  }
}

// ---- RMSNorm (llama): out = x / √(mean(x²) + eps) · gamma per row; rstd[r] kept.
EXPORT(rms_norm_fwd) void rms_norm_fwd(const f32 *x, const f32 *gamma, f32 eps, int rows, int width, f32 *out, f32 *rstd) {
  for (int r = 0; r < rows; r++) {
    const f32 *xr = x + r * width;
    f32 *o = out + r * width;
    f4 acc = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= width; i += 4) {
      f4 v = LOAD(xr + i);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(v, v));
    }
    f32 sq = hsum(acc);
    for (; i < width; i++) sq += xr[i] * xr[i];
    f32 s = 1.0f / __builtin_sqrtf(sq / (f32)width + eps);
    rstd[r] = s;
    f4 s4 = wasm_f32x4_splat(s);
    i = 0;
    for (; i + 4 <= width; i += 4) STORE(o + i, wasm_f32x4_mul(wasm_f32x4_mul(LOAD(xr + i), s4), LOAD(gamma + i)));
    for (; i < width; i++) o[i] = xr[i] * s * gamma[i];
  }
}

// dx is ADDED to; dgamma overwritten. dx = s·(dy·g − x̂·mean(dy·g·x̂)), x̂ = x·s.
EXPORT(rms_norm_bwd) void rms_norm_bwd(const f32 *dout, const f32 *x, const f32 *rstd, const f32 *gamma, int rows, int width, f32 *dx, f32 *dgamma) {
  for (int i = 0; i < width; i++) dgamma[i] = 0.0f;
  for (int r = 0; r < rows; r++) {
    const f32 *xr = x + r * width, *dr = dout + r * width;
    f32 *dxr = dx + r * width;
    f32 s = rstd[r];
    f4 s4 = wasm_f32x4_splat(s), acc = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= width; i += 4) {
      f4 xh = wasm_f32x4_mul(LOAD(xr + i), s4);
      f4 d = LOAD(dr + i);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_f32x4_mul(d, LOAD(gamma + i)), xh));
      STORE(dgamma + i, wasm_f32x4_add(LOAD(dgamma + i), wasm_f32x4_mul(d, xh)));
    }
    f32 m = hsum(acc);
    for (; i < width; i++) {
      f32 xh = xr[i] * s;
      m += dr[i] * gamma[i] * xh;
      dgamma[i] += dr[i] * xh;
    }
    m /= (f32)width;
    f4 m4 = wasm_f32x4_splat(m);
    i = 0;
    for (; i + 4 <= width; i += 4) {
      f4 xh = wasm_f32x4_mul(LOAD(xr + i), s4);
      f4 g = wasm_f32x4_sub(wasm_f32x4_mul(LOAD(dr + i), LOAD(gamma + i)), wasm_f32x4_mul(xh, m4));
      STORE(dxr + i, wasm_f32x4_add(LOAD(dxr + i), wasm_f32x4_mul(s4, g)));
    }
    for (; i < width; i++) dxr[i] += s * (dr[i] * gamma[i] - xr[i] * s * m);
  }
}

// ---- SwiGLU (llama's MLP): out = silu(gate)·up, silu(g) = g·σ(g); sig keeps σ(g).
EXPORT(swiglu_fwd) void swiglu_fwd(const f32 *gate, const f32 *up, int n, f32 *out, f32 *sig) {
  int i = 0;
  const f4 one = wasm_f32x4_splat(1.0f);
  for (; i + 4 <= n; i += 4) {
    f4 g = LOAD(gate + i);
    f4 s = wasm_f32x4_div(one, wasm_f32x4_add(one, exp4(wasm_f32x4_neg(g))));
    STORE(sig + i, s);
    STORE(out + i, wasm_f32x4_mul(wasm_f32x4_mul(g, s), LOAD(up + i)));
  }
  for (; i < n; i++) {
    f32 g = gate[i];
    f32 s = 1.0f / (1.0f + exp1(-g));
    sig[i] = s;
    out[i] = g * s * up[i];
  }
}

// dgate = dout·up·σ(g)·(1 + g·(1 − σ(g))), dup = dout·silu(g).
EXPORT(swiglu_bwd) void swiglu_bwd(const f32 *gate, const f32 *up, const f32 *sig, const f32 *dout, int n, f32 *dgate, f32 *dup) {
  int i = 0;
  const f4 one = wasm_f32x4_splat(1.0f);
  for (; i + 4 <= n; i += 4) {
    f4 g = LOAD(gate + i), s = LOAD(sig + i), d = LOAD(dout + i);
    STORE(dup + i, wasm_f32x4_mul(d, wasm_f32x4_mul(g, s)));
    f4 ds = wasm_f32x4_mul(s, wasm_f32x4_add(one, wasm_f32x4_mul(g, wasm_f32x4_sub(one, s))));
    STORE(dgate + i, wasm_f32x4_mul(wasm_f32x4_mul(d, LOAD(up + i)), ds));
  }
  for (; i < n; i++) {
    f32 g = gate[i], s = sig[i], d = dout[i];
    dup[i] = d * g * s;
    dgate[i] = d * up[i] * s * (1.0f + g * (1.0f - s));
  }
}

// ---- The exact GELU, x·Φ(x) with Φ(x) = erfc(−x/√2)/2, erfc by the Chebyshev fit of Numerical
// Recipes' erfcc (relative error < 1.2e-7, as rows.ts's erfc); gate keeps Φ for the backward.
static inline f4 erfc4(f4 x) {
  f4 z = wasm_f32x4_abs(x);
  f4 t = wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(wasm_f32x4_splat(0.5f), z)));
  f4 p = wasm_f32x4_splat(0.17087277f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(-0.82215223f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(1.48851587f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(-1.13520398f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(0.27886807f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(-0.18628806f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(0.09678418f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(0.37409196f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(1.00002368f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(-1.26551223f));
  f4 ans = wasm_f32x4_mul(t, exp4(wasm_f32x4_sub(p, wasm_f32x4_mul(z, z))));
  // x ≥ 0: ans; x < 0: 2 − ans.
  v128_t negative = wasm_f32x4_lt(x, wasm_f32x4_splat(0.0f));
  return wasm_v128_bitselect(wasm_f32x4_sub(wasm_f32x4_splat(2.0f), ans), ans, negative);
}

#define INV_SQRT2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

EXPORT(gelu_erf_fwd) void gelu_erf_fwd(const f32 *pre, int n, f32 *act, f32 *gate) {
  int i = 0;
  const f4 c = wasm_f32x4_splat(-INV_SQRT2), half = wasm_f32x4_splat(0.5f);
  for (; i + 4 <= n; i += 4) {
    f4 x = LOAD(pre + i);
    f4 phi = wasm_f32x4_mul(half, erfc4(wasm_f32x4_mul(c, x)));
    STORE(gate + i, phi);
    STORE(act + i, wasm_f32x4_mul(x, phi));
  }
  for (; i < n; i++) {
    f32 x = pre[i];
    f32 phi = 0.5f * wasm_f32x4_extract_lane(erfc4(wasm_f32x4_splat(-INV_SQRT2 * x)), 0);
    gate[i] = phi;
    act[i] = x * phi;
  }
}

// dPre = dAct·(Φ(x) + x·φ(x)), φ(x) = e^(−x²/2)/√(2π).
EXPORT(gelu_erf_bwd) void gelu_erf_bwd(const f32 *pre, const f32 *gate, const f32 *dact, int n, f32 *dpre) {
  int i = 0;
  const f4 mhalf = wasm_f32x4_splat(-0.5f), k = wasm_f32x4_splat(INV_SQRT_2PI);
  for (; i + 4 <= n; i += 4) {
    f4 x = LOAD(pre + i);
    f4 density = wasm_f32x4_mul(k, exp4(wasm_f32x4_mul(mhalf, wasm_f32x4_mul(x, x))));
    STORE(dpre + i, wasm_f32x4_mul(LOAD(dact + i), wasm_f32x4_add(LOAD(gate + i), wasm_f32x4_mul(x, density))));
  }
  for (; i < n; i++) {
    f32 x = pre[i];
    dpre[i] = dact[i] * (gate[i] + x * INV_SQRT_2PI * exp1(-0.5f * x * x));
  }
}

// ---- Token (and position) embedding: out[r] = table[ids[r]] (+ positions[r mod seq]); positions
// is 0 for none (llama). The backward zeroes the whole table gradient (and positions') and adds
// each row's gradient into its id's row (and position's).
EXPORT(embed_fwd) void embed_fwd(const f32 *table, const f32 *positions, const int *ids, int rows, int seq, int width, f32 *out) {
  for (int r = 0; r < rows; r++) {
    const f32 *t = table + (long)ids[r] * width;
    f32 *o = out + (long)r * width;
    int i = 0;
    if (positions != 0) {
      const f32 *p = positions + (long)(r % seq) * width;
      for (; i + 4 <= width; i += 4) STORE(o + i, wasm_f32x4_add(LOAD(t + i), LOAD(p + i)));
      for (; i < width; i++) o[i] = t[i] + p[i];
    } else {
      for (; i + 4 <= width; i += 4) STORE(o + i, LOAD(t + i));
      for (; i < width; i++) o[i] = t[i];
    }
  }
}

static inline void zero(f32 *x, long n) {
  long i = 0;
  const f4 z = wasm_f32x4_splat(0.0f);
  for (; i + 4 <= n; i += 4) STORE(x + i, z);
  for (; i < n; i++) x[i] = 0.0f;
}

static inline void add_row(f32 *dst, const f32 *src, int width) {
  int i = 0;
  for (; i + 4 <= width; i += 4) STORE(dst + i, wasm_f32x4_add(LOAD(dst + i), LOAD(src + i)));
  for (; i < width; i++) dst[i] += src[i];
}

EXPORT(embed_bwd) void embed_bwd(const f32 *dx, const int *ids, int rows, int seq, int width, f32 *dtable, int vocab, f32 *dpositions, int positions) {
  zero(dtable, (long)vocab * width);
  if (dpositions != 0) zero(dpositions, (long)positions * width);
  for (int r = 0; r < rows; r++) {
    const f32 *g = dx + (long)r * width;
    add_row(dtable + (long)ids[r] * width, g, width);
    if (dpositions != 0) add_row(dpositions + (long)(r % seq) * width, g, width);
  }
}

// ---- bf16: dst[r·cols + c] = bf16(src[r·ld + c]), round to nearest even (NaN kept a NaN), for the
// bf16 products (src/backend/blas/bf16.ts): a [rows × cols] view with leading dimension ld packed
// contiguous. bf16 is the float's upper 16 bits; adding 0x7fff plus the lowest kept bit rounds.
EXPORT(f32_to_bf16) void f32_to_bf16(const f32 *src, int rows, int cols, int ld, unsigned short *dst) {
  const v128_t bias = wasm_i32x4_splat(0x7fff), one = wasm_i32x4_splat(1);
  for (int r = 0; r < rows; r++) {
    const f32 *s = src + (long)r * ld;
    unsigned short *d = dst + (long)r * cols;
    int c = 0;
    for (; c + 8 <= cols; c += 8) {
      v128_t a = LOAD(s + c), b = LOAD(s + c + 4);
      v128_t ra = wasm_i32x4_add(a, wasm_i32x4_add(bias, wasm_v128_and(wasm_u32x4_shr(a, 16), one)));
      v128_t rb = wasm_i32x4_add(b, wasm_i32x4_add(bias, wasm_v128_and(wasm_u32x4_shr(b, 16), one)));
      // A NaN keeps its sign and exponent and gets a set quiet bit (rounding could carry it to Inf).
      v128_t na = wasm_f32x4_ne(a, a), nb = wasm_f32x4_ne(b, b);
      ra = wasm_v128_bitselect(wasm_v128_or(a, wasm_i32x4_splat(0x00400000)), ra, na);
      rb = wasm_v128_bitselect(wasm_v128_or(b, wasm_i32x4_splat(0x00400000)), rb, nb);
      STORE(d + c, wasm_u16x8_narrow_i32x4(wasm_u32x4_shr(ra, 16), wasm_u32x4_shr(rb, 16)));
    }
    for (; c < cols; c++) {
      unsigned int u = __builtin_bit_cast(unsigned int, s[c]);
      d[c] = (unsigned short)((s[c] != s[c] ? (u | 0x00400000u) : u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
  }
}
