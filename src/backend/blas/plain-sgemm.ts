// The product by its definition, one output element at a time in float64: the reference every BLAS
// path is tested against, and what the cached decoder multiplies with when no BLAS was found.
import type { Sgemm } from './library.js';

/** C = alpha·op(A)·op(B) + beta·C, row-major, as cblas_sgemm. */
export const plainSgemm: Sgemm = (transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc) => {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[transA ? p * lda + i : i * lda + p]! * b[transB ? j * ldb + p : p * ldb + j]!;
      c[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * c[i * ldc + j]!);
    }
  }
};
