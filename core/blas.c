/* Matrix products in bp_real over cblas. A GEMM call costs far more than
 * its arithmetic when one dimension is 1, as it is at every step of the
 * paper's online algorithm (batch 1): a single row or column goes to the
 * matrix-vector routine, a single inner dimension to the rank-1 update,
 * and a tiny product to a plain loop.
 */
#include <string.h>

#include <cblas.h>

#include "blas.h"

/* The routines of the build's precision. */
#if defined(BP_REAL_FLOAT)
#define GEMM cblas_sgemm
#define GEMV cblas_sgemv
#define GER cblas_sger
#else
#define GEMM cblas_dgemm
#define GEMV cblas_dgemv
#define GER cblas_dger
#endif

static enum CBLAS_TRANSPOSE
op (BpTranspose t)
{
  return t == BP_TRANS ? CblasTrans : CblasNoTrans;
}

/* Up to this many multiply-adds, a plain loop beats the cblas call, whose
 * argument checks and dispatch cost more than the product itself: at the
 * paper's 2-2-2 network the calls took 40% of an online step. Measured on
 * an AMD EPYC core (OpenBLAS 0.3.21, one thread): a 1x2 by 2x2 product takes
 * 11 ns by loop and 28 ns by dgemv, 1x4 by 4x4 18 and 42 ns, 1x8 by 8x8
 * 51 and 57 ns, 1x16 by 16x10 118 and 71 ns; rank-1 updates alike. */
#define SMALL_PRODUCT 32

/* C = alpha op(A) op(B) + beta C by the definition; beta == 0 ignores
 * C's contents, as cblas does. The paper's online step makes only two
 * shapes, each with a loop of its own: one row of C (the forward X W^T
 * and the carried G W of a single sample) and an inner dimension of 1
 * (its step G^T [X | 1]). Each entry is alpha * sum + beta * c with the
 * sum taken in the order p = 0, 1, ..., as in the general loop, so the
 * three give the same numbers (but for the sign of a zero product, which
 * the general loop's 0 + sum makes +0). */
static void
small_gemm (BpTranspose trans_a, BpTranspose trans_b, size_t m, size_t n,
            size_t k, bp_real alpha, const bp_real *a, size_t lda,
            const bp_real *b, size_t ldb, bp_real beta, bp_real *c,
            size_t ldc)
{
  size_t a_row = trans_a == BP_TRANS ? 1 : lda;
  size_t a_col = trans_a == BP_TRANS ? lda : 1;
  size_t b_row = trans_b == BP_TRANS ? 1 : ldb;
  size_t b_col = trans_b == BP_TRANS ? ldb : 1;

  if (k == 1)
    {
      for (size_t r = 0; r < m; r++)
        {
          bp_real a_r = a[r * a_row];
          bp_real *c_r = c + r * ldc;

          if (beta == 0)
            for (size_t j = 0; j < n; j++)
              c_r[j] = alpha * (a_r * b[j * b_col]);
          else
            for (size_t j = 0; j < n; j++)
              c_r[j] = alpha * (a_r * b[j * b_col]) + beta * c_r[j];
        }
      return;
    }

  if (m == 1)
    {
      for (size_t j = 0; j < n; j++)
        {
          const bp_real *b_j = b + j * b_col;
          bp_real sum = 0;

          for (size_t p = 0; p < k; p++)
            sum += a[p * a_col] * b_j[p * b_row];
          c[j] = beta == 0 ? alpha * sum : alpha * sum + beta * c[j];
        }
      return;
    }

  for (size_t r = 0; r < m; r++)
    for (size_t j = 0; j < n; j++)
      {
        bp_real sum = 0;
        bp_real *to = c + r * ldc + j;

        for (size_t p = 0; p < k; p++)
          sum += a[r * a_row + p * a_col] * b[p * b_row + j * b_col];
        *to = beta == 0 ? alpha * sum : alpha * sum + beta * *to;
      }
}

void
bp_gemm (BpTranspose trans_a, BpTranspose trans_b, size_t m, size_t n,
         size_t k, bp_real alpha, const bp_real *a, size_t lda,
         const bp_real *b, size_t ldb, bp_real beta, bp_real *c,
         size_t ldc)
{
  if (m * n * k <= SMALL_PRODUCT)
    {
      small_gemm (trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                  ldc);
      return;
    }

  /* One row of C: c = alpha a op(B) + beta c, a matrix-vector product
   * with B (transposed when B is not). a is a row, or A's one column. */
  if (m == 1)
    {
      blasint inc_a = trans_a == BP_TRANS ? (blasint) lda : 1;

      if (trans_b == BP_TRANS)
        GEMV (CblasRowMajor, CblasNoTrans, (blasint) n, (blasint) k, alpha,
              b, (blasint) ldb, a, inc_a, beta, c, 1);
      else
        GEMV (CblasRowMajor, CblasTrans, (blasint) k, (blasint) n, alpha,
              b, (blasint) ldb, a, inc_a, beta, c, 1);
      return;
    }

  /* One column of C: c = alpha op(A) b + beta c. */
  if (n == 1)
    {
      blasint inc_b = trans_b == BP_TRANS ? 1 : (blasint) ldb;

      GEMV (CblasRowMajor, op (trans_a),
            trans_a == BP_TRANS ? (blasint) k : (blasint) m,
            trans_a == BP_TRANS ? (blasint) m : (blasint) k, alpha, a,
            (blasint) lda, b, inc_b, beta, c, (blasint) ldc);
      return;
    }

  /* An inner dimension of 1: C = alpha a b^T + beta C, a rank-1 update
   * after C is scaled (or cleared: beta == 0 ignores C's contents). */
  if (k == 1)
    {
      blasint inc_a = trans_a == BP_TRANS ? 1 : (blasint) lda;
      blasint inc_b = trans_b == BP_TRANS ? (blasint) ldb : 1;

      if (beta != 1)
        for (size_t r = 0; r < m; r++)
          for (size_t j = 0; j < n; j++)
            c[r * ldc + j] = beta == 0 ? 0 : beta * c[r * ldc + j];
      GER (CblasRowMajor, (blasint) m, (blasint) n, alpha, a, inc_a, b,
           inc_b, c, (blasint) ldc);
      return;
    }

  GEMM (CblasRowMajor, op (trans_a), op (trans_b), (blasint) m, (blasint) n,
        (blasint) k, alpha, a, (blasint) lda, b, (blasint) ldb, beta, c,
        (blasint) ldc);
}

void
bp_row_times (const bp_real *x, const bp_real *A, size_t rows, size_t cols,
              bp_real *y)
{
  GEMV (CblasRowMajor, CblasTrans, (blasint) rows, (blasint) cols, 1, A,
        (blasint) cols, x, 1, 0, y, 1);
}

void
bp_blas_set_threads (unsigned int n)
{
  /* OpenBLAS lowers n to the count it was built for (64 in Debian's
   * build); a serial OpenBLAS ignores the call and stays at 1. */
  openblas_set_num_threads ((int) n);
}
