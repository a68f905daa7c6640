/* The core's matrix products: thin wrappers over cblas in bp_real, which
 * pick the BLAS routine that fits the shape (a matrix-vector product for a
 * single row, a rank-1 update for a single column) and the precision of
 * the build. Plugins reach bp_gemm through the host table.
 */
#ifndef BP_CORE_BLAS_H
#define BP_CORE_BLAS_H

#include "bpframe/plugin.h"

/* C = alpha op(A) op(B) + beta C, row-major, as BpHost.gemm documents. */
void bp_gemm (BpTranspose trans_a, BpTranspose trans_b, size_t m, size_t n,
              size_t k, bp_real alpha, const bp_real *a, size_t lda,
              const bp_real *b, size_t ldb, bp_real beta, bp_real *c,
              size_t ldc);

/* y = x A for a row vector x (rows) and A (rows x cols, row-major): the
 * row vector m carried through an explicit jacobian, m J. */
void bp_row_times (const bp_real *x, const bp_real *A, size_t rows,
                   size_t cols, bp_real *y);

/* How many threads OpenBLAS's products may use, n from 1 to INT_MAX
 * (OpenBLAS would read 0 as its own maximum). The setting is OpenBLAS's,
 * so it holds for the whole process, every run in it included. */
void bp_blas_set_threads (unsigned int n);

#endif /* BP_CORE_BLAS_H */
