/* The machine's own GEMM rate at the shapes of one training step of the
 * 784-256-128-10 network at batch B, for dgemm and sgemm: the limit that
 * bpframe's achieved GFLOP/s is measured against (tools/bench/run).
 *
 * A step is the products bpframe's affine layer makes, with its leading
 * dimensions ([W | b] rows of d + 1): X W^T for each layer, G W for the
 * two layers that carry the row vector back, and G^T X for each gradient.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>

enum { N_LAYERS = 3 };
static const int widths[N_LAYERS + 1] = { 784, 256, 128, 10 };

static double
now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* Multiply-adds of one step at batch b, counted 2 FLOP each. */
static double
step_flops (int b)
{
  double flops = 0;

  for (int i = 0; i < N_LAYERS; i++)
    {
      double wd = (double) widths[i] * widths[i + 1];

      flops += 2.0 * b * wd * (i > 0 ? 3 : 2);
    }
  return flops;
}

static void *
filled (size_t n, size_t size)
{
  unsigned char *p = malloc (n * size);

  if (p == NULL)
    {
      fputs ("gemm_rate: out of memory\n", stderr);
      exit (1);
    }
  /* Small values of either type: every byte 0x3c makes 0.0115 as a float
   * and 1.5e-18 as a double, finite and normal, and so are the products
   * of a step. */
  memset (p, 0x3c, n * size);
  return p;
}

/* The products of one step, for one precision. */
#define DEFINE_STEP(NAME, T, GEMM)                                          \
  static void                                                               \
  NAME (int b, T *const *W, T *const *A, T *const *G, T *const *grad)       \
  {                                                                         \
    for (int i = 0; i < N_LAYERS; i++)                                      \
      {                                                                     \
        int d = widths[i], v = widths[i + 1];                               \
        GEMM (CblasRowMajor, CblasNoTrans, CblasTrans, b, v, d, 1, A[i], d, \
              W[i], d + 1, 0, A[i + 1], v);                                 \
      }                                                                     \
    for (int i = N_LAYERS - 1; i >= 0; i--)                                 \
      {                                                                     \
        int d = widths[i], v = widths[i + 1];                               \
        GEMM (CblasRowMajor, CblasTrans, CblasNoTrans, v, d, b, 1, G[i + 1], \
              v, A[i], d, 1, grad[i], d + 1);                               \
        if (i > 0)                                                          \
          GEMM (CblasRowMajor, CblasNoTrans, CblasNoTrans, b, d, v, 1,      \
                G[i + 1], v, W[i], d + 1, 0, G[i], d);                      \
      }                                                                     \
  }

DEFINE_STEP (step_double, double, cblas_dgemm)
DEFINE_STEP (step_float, float, cblas_sgemm)

/* GFLOP/s of repeated steps at batch b, the median of runs timings of
 * about seconds each. */
static double
rate (int is_float, int b, int runs, double seconds)
{
  size_t size = is_float ? sizeof (float) : sizeof (double);
  void *W[N_LAYERS], *grad[N_LAYERS], *A[N_LAYERS + 1], *G[N_LAYERS + 1];
  double flops = step_flops (b), best[64];
  long steps = 1;

  for (int i = 0; i <= N_LAYERS; i++)
    {
      A[i] = filled ((size_t) b * widths[i], size);
      G[i] = filled ((size_t) b * widths[i], size);
      if (i < N_LAYERS)
        {
          W[i] = filled ((size_t) widths[i + 1] * (widths[i] + 1), size);
          grad[i] = filled ((size_t) widths[i + 1] * (widths[i] + 1), size);
        }
    }

#define STEP()                                                              \
  (is_float ? step_float (b, (float *const *) W, (float *const *) A,        \
                          (float *const *) G, (float *const *) grad)        \
            : step_double (b, (double *const *) W, (double *const *) A,     \
                           (double *const *) G, (double *const *) grad))

  /* Warm up (threads, caches) and size a run to the time asked. */
  for (double start = now (); now () - start < 0.2 * seconds;)
    {
      double t0 = now ();

      STEP ();
      steps = (long) (seconds / (now () - t0 + 1e-9)) + 1;
    }
  if (runs > 64)
    runs = 64;
  for (int r = 0; r < runs; r++)
    {
      double t0 = now ();

      for (long s = 0; s < steps; s++)
        STEP ();
      best[r] = flops * (double) steps / (now () - t0) * 1e-9;
    }
#undef STEP

  /* The median, by insertion sort of a few numbers. */
  for (int i = 1; i < runs; i++)
    for (int j = i; j > 0 && best[j] < best[j - 1]; j--)
      {
        double t = best[j];

        best[j] = best[j - 1];
        best[j - 1] = t;
      }

  for (int i = 0; i <= N_LAYERS; i++)
    {
      free (A[i]);
      free (G[i]);
      if (i < N_LAYERS)
        {
          free (W[i]);
          free (grad[i]);
        }
    }
  return best[runs / 2];
}

int
main (int argc, char **argv)
{
  int runs = 5, threads = 2, first = 0, last = 1; /* 0 double, 1 float */
  double seconds = 0.3;
  int batches[8], n_batches = 0;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--runs") == 0 && i + 1 < argc)
        runs = atoi (argv[++i]);
      else if (strcmp (argv[i], "--seconds") == 0 && i + 1 < argc)
        seconds = strtod (argv[++i], NULL);
      else if (strcmp (argv[i], "--threads") == 0 && i + 1 < argc)
        threads = atoi (argv[++i]);
      else if (strcmp (argv[i], "--precision") == 0 && i + 1 < argc
               && (strcmp (argv[i + 1], "double") == 0
                   || strcmp (argv[i + 1], "float") == 0))
        first = last = strcmp (argv[++i], "float") == 0;
      else if (argv[i][0] != '-' && n_batches < 8 && atoi (argv[i]) > 0)
        batches[n_batches++] = atoi (argv[i]);
      else
        {
          fputs ("usage: gemm_rate [--runs R] [--seconds S] [--threads T] "
                 "[--precision double|float] BATCH...\n", stderr);
          return 2;
        }
    }
  if (n_batches == 0)
    {
      batches[n_batches++] = 32;
      batches[n_batches++] = 128;
    }
  if (runs < 1 || seconds <= 0 || threads < 1)
    return 2;

  openblas_set_num_threads (threads);
  printf ("openblas %s, core %s\n", openblas_get_config (),
          openblas_get_corename ());
  for (int i = 0; i < n_batches; i++)
    for (int is_float = first; is_float <= last; is_float++)
      printf ("%s batch %d: %.2f GFLOP/s (%.1f MFLOP a step, %d threads)\n",
              is_float ? "sgemm" : "dgemm", batches[i],
              rate (is_float, batches[i], runs, seconds),
              step_flops (batches[i]) * 1e-6, threads);
  return 0;
}
