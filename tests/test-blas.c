/* Tests of core/blas.c: every route of bp_gemm (its own loop for tiny
 * products, GEMV for one row or column, GER for an inner dimension of 1,
 * GEMM), in every transposition and with padded leading dimensions,
 * against a plain triple loop.
 */
#include <math.h>
#include <string.h>

#include "blas.h"
#include "testutil.h"

enum { PAD = 3, MAX = 40 };

/* A stored as op(A) is rows x cols: its element (i, j). */
static bp_real
element (const bp_real *a, size_t ld, BpTranspose t, size_t i, size_t j)
{
  return t == BP_TRANS ? a[j * ld + i] : a[i * ld + j];
}

static void
check_shape (size_t m, size_t n, size_t k, BpTranspose ta, BpTranspose tb,
             bp_real beta)
{
  /* Stored shapes: A is m x k, or k x m when transposed; B likewise. */
  size_t lda = (ta == BP_TRANS ? m : k) + PAD;
  size_t ldb = (tb == BP_TRANS ? k : n) + PAD;
  size_t ldc = n + PAD;
  bp_real a[MAX * (MAX + PAD)], b[MAX * (MAX + PAD)];
  bp_real c[MAX * (MAX + PAD)], expected[MAX * (MAX + PAD)];

  for (size_t j = 0; j < G_N_ELEMENTS (a); j++)
    {
      a[j] = 0.5 + 0.25 * (double) (j % 7) - 0.1 * (double) (j % 3);
      b[j] = -1.0 + 0.3 * (double) (j % 5);
      c[j] = expected[j] = 2.0 - 0.2 * (double) (j % 4);
    }
  /* beta == 0 must ignore C's contents, NaN included. */
  if (beta == 0)
    for (size_t r = 0; r < m; r++)
      for (size_t j = 0; j < n; j++)
        c[r * ldc + j] = NAN;

  for (size_t r = 0; r < m; r++)
    for (size_t j = 0; j < n; j++)
      {
        double sum = 0;

        for (size_t p = 0; p < k; p++)
          sum += element (a, lda, ta, r, p) * element (b, ldb, tb, p, j);
        expected[r * ldc + j] = 1.5 * sum
                                + (beta == 0 ? 0 : beta
                                                   * expected[r * ldc + j]);
      }

  bp_gemm (ta, tb, m, n, k, 1.5, a, lda, b, ldb, beta, c, ldc);
  for (size_t r = 0; r < m; r++)
    for (size_t j = 0; j < ldc; j++)
      {
        size_t at = r * ldc + j;

        /* Padding past column n is left as it was. */
        if (j >= n)
          g_assert_cmpfloat (c[at], ==,
                             (bp_real) (2.0 - 0.2 * (double) (at % 4)));
        else
          g_assert_cmpfloat_with_epsilon (c[at], expected[at],
                                          sizeof (bp_real) == 4 ? 1e-5
                                                                : 1e-12);
      }
}

static void
test_gemm_shapes (void)
{
  const size_t shapes[][3] = {
    { 1, 5, 4 }, { 4, 1, 5 }, { 4, 5, 1 }, { 1, 1, 5 }, { 1, 5, 1 },
    { 5, 1, 1 }, { 1, 1, 1 }, { 4, 5, 3 },
  };
  const bp_real betas[] = { 0, 1, 0.5 };

  for (size_t s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++)
        for (size_t bi = 0; bi < G_N_ELEMENTS (betas); bi++)
          check_shape (shapes[s][0], shapes[s][1], shapes[s][2],
                       (BpTranspose) ta, (BpTranspose) tb, betas[bi]);
}

static void
test_row_times (void)
{
  const bp_real x[2] = { 2, -1 };
  const bp_real A[2 * 3] = { 1, 2, 3, 4, 5, 6 };
  bp_real y[3] = { NAN, NAN, NAN };

  bp_row_times (x, A, 2, 3, y);
  g_assert_cmpfloat (y[0], ==, -2);
  g_assert_cmpfloat (y[1], ==, -1);
  g_assert_cmpfloat (y[2], ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/blas/gemm-shapes", test_gemm_shapes);
  g_test_add_func ("/blas/row-times", test_row_times);
  return g_test_run ();
}
