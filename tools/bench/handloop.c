/* The speed of light of bpframe's online path, written by hand with no
 * framework: SGD one sample at a time on Fashion-MNIST's 784-256-128-10
 * ReLU/softmax/cross-entropy network, and on the paper's 2-2-2 network
 * learning XOR. Built twice by tools/bench/run: double, and -DREAL=float.
 *
 * The arithmetic is bpframe's: the same forward pass, the fused gradient
 * sigma - f of softmax with cross entropy (section 8), the row vector
 * carried back through the weights, and plain SGD; simultaneous order for
 * the 784-256-128-10 network, the paper's sequential order and binary
 * cross entropy for XOR, as in configs/xor.yaml.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "fmnist.h"

#ifndef REAL
#define REAL double
#endif
typedef REAL real;

/* The level-2 BLAS of the precision built. */
#define IS_FLOAT (sizeof (real) == sizeof (float))
#define GEMV _Generic ((real) 0, float: cblas_sgemv, default: cblas_dgemv)

static const char *const usage =
  "usage: handloop [--variant loops|fused|blas] [--runs R] [--samples N]\n"
  "                [--test-samples T] [--lr LR] [--seed S] DATA_DIR\n"
  "       handloop --xor [--runs R] [--epochs E] [--lr LR]\n"
  "Online SGD by hand: Fashion-MNIST 784-256-128-10 on the first N training\n"
  "samples (one shuffled pass a run), or XOR on the paper's 2-2-2 network.\n";

/* ---- Random numbers ---------------------------------------------------- */

/* splitmix64: small, and the same stream on every machine. */
static uint64_t
next_u64 (uint64_t *s)
{
  uint64_t z = (*s += 0x9E3779B97F4A7C15u);

  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

/* Uniform on [0, 1). */
static double
uniform (uint64_t *s)
{
  return (double) (next_u64 (s) >> 11) * 0x1.0p-53;
}

/* Standard normal by Box-Muller. */
static double
normal (uint64_t *s)
{
  double u1 = 1.0 - uniform (s), u2 = uniform (s);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * 3.14159265358979323846 * u2);
}

static void
shuffle (uint64_t *s, size_t *order, size_t n)
{
  for (size_t i = n; i > 1; i--)
    {
      size_t j = (size_t) (uniform (s) * (double) i), t = order[i - 1];

      order[i - 1] = order[j];
      order[j] = t;
    }
}

/* ---- The 784-256-128-10 network ---------------------------------------- */

/* y = W x + b, W row-major n_out x n_in, as bpframe's [W | b] without the
 * bias column. */
typedef struct {
  size_t n_in, n_out;
  real *W, *b;
} Layer;

enum { N_LAYERS = 3 };
static const size_t widths[N_LAYERS + 1] = { 784, 256, 128, FM_CLASSES };

typedef struct {
  Layer layer[N_LAYERS];
  real *h[N_LAYERS + 1]; /* h[0] is the input; h[3] sigma */
  real *g[N_LAYERS + 1]; /* g[i]: d loss / d (layer i's output z) */
  /* The fused variant's first-layer step still to take: g[1] and the
   * input of the sample before. */
  const real *pending_x;
} Net;

static void *
xmalloc (size_t size)
{
  void *p = malloc (size);

  if (p == NULL)
    {
      fputs ("handloop: out of memory\n", stderr);
      exit (1);
    }
  return p;
}

static void
net_init (Net *net)
{
  for (int i = 0; i < N_LAYERS; i++)
    {
      Layer *l = &net->layer[i];

      l->n_in = widths[i];
      l->n_out = widths[i + 1];
      l->W = xmalloc (l->n_in * l->n_out * sizeof (real));
      l->b = xmalloc (l->n_out * sizeof (real));
    }
  /* h[0] points at each sample's input in turn. */
  net->h[0] = net->g[0] = NULL;
  net->pending_x = NULL;
  for (int i = 1; i <= N_LAYERS; i++)
    {
      net->h[i] = xmalloc (widths[i] * sizeof (real));
      net->g[i] = xmalloc (widths[i] * sizeof (real));
    }
}

/* He's normal draws with zero bias, like bpframe's default init. */
static void
net_draw (Net *net, uint64_t seed)
{
  uint64_t s = seed;

  for (int i = 0; i < N_LAYERS; i++)
    {
      Layer *l = &net->layer[i];
      double scale = sqrt (2.0 / (double) l->n_in);

      for (size_t j = 0; j < l->n_in * l->n_out; j++)
        l->W[j] = (real) (scale * normal (&s));
      memset (l->b, 0, l->n_out * sizeof (real));
    }
}

static void
net_free (Net *net)
{
  for (int i = 0; i < N_LAYERS; i++)
    {
      free (net->layer[i].W);
      free (net->layer[i].b);
    }
  for (int i = 1; i <= N_LAYERS; i++)
    {
      free (net->h[i]);
      free (net->g[i]);
    }
}

/* y = W x + b, then max(0, y) unless last. */
static void
forward_loops (const Layer *l, const real *restrict x, real *restrict y,
               int relu)
{
  for (size_t k = 0; k < l->n_out; k++)
    {
      const real *restrict w = l->W + k * l->n_in;
      real acc = 0;

#pragma omp simd reduction(+ : acc)
      for (size_t j = 0; j < l->n_in; j++)
        acc += w[j] * x[j];
      acc += l->b[k];
      y[k] = relu && acc < 0 ? 0 : acc;
    }
}

static void
forward_blas (const Layer *l, const real *restrict x, real *restrict y,
              int relu)
{
  memcpy (y, l->b, l->n_out * sizeof (real));
  GEMV (CblasRowMajor, CblasNoTrans, (int) l->n_out, (int) l->n_in, 1, l->W,
        (int) l->n_in, x, 1, 1, y, 1);
  if (relu)
    for (size_t k = 0; k < l->n_out; k++)
      y[k] = y[k] < 0 ? 0 : y[k];
}

/* sigma = softmax(z) in place; returns -log sigma_label. */
static double
softmax_ce (real *z, size_t n, unsigned label)
{
  real max = z[0], sum = 0;

  for (size_t k = 1; k < n; k++)
    max = z[k] > max ? z[k] : max;
  for (size_t k = 0; k < n; k++)
    {
      z[k] = (real) exp ((double) (z[k] - max));
      sum += z[k];
    }
  for (size_t k = 0; k < n; k++)
    z[k] /= sum;
  return -log ((double) z[label]);
}

/* One pass over W: g_in = (g W) masked by the ReLU of x, from the old
 * weights, and then the step W -= lr g x^T, b -= lr g. With g_in NULL
 * (the first layer) only the step. */
static void
backward_loops (Layer *l, const real *restrict g, const real *restrict x,
                real *restrict g_in, real lr)
{
  if (g_in != NULL)
    memset (g_in, 0, l->n_in * sizeof (real));
  for (size_t k = 0; k < l->n_out; k++)
    {
      real *restrict w = l->W + k * l->n_in;
      real gk = g[k], step = lr * gk;

      if (g_in != NULL)
#pragma omp simd
        for (size_t j = 0; j < l->n_in; j++)
          {
            g_in[j] += gk * w[j];
            w[j] -= step * x[j];
          }
      else
#pragma omp simd
        for (size_t j = 0; j < l->n_in; j++)
          w[j] -= step * x[j];
      l->b[k] -= step;
    }
  if (g_in != NULL)
    for (size_t j = 0; j < l->n_in; j++)
      g_in[j] = x[j] > 0 ? g_in[j] : 0;
}

/* The same with BLAS: g_in = W^T g (gemv), then W -= lr g x^T (a rank-one
 * update, written as the loop it is: OpenBLAS's ger is no faster here). */
static void
backward_blas (Layer *l, const real *restrict g, const real *restrict x,
               real *restrict g_in, real lr)
{
  if (g_in != NULL)
    {
      GEMV (CblasRowMajor, CblasTrans, (int) l->n_out, (int) l->n_in, 1,
            l->W, (int) l->n_in, g, 1, 0, g_in, 1);
      for (size_t j = 0; j < l->n_in; j++)
        g_in[j] = x[j] > 0 ? g_in[j] : 0;
    }
  for (size_t k = 0; k < l->n_out; k++)
    {
      real *restrict w = l->W + k * l->n_in, step = lr * g[k];

#pragma omp simd
      for (size_t j = 0; j < l->n_in; j++)
        w[j] -= step * x[j];
      l->b[k] -= step;
    }
}

/* The first layer for the fused variant: the step the sample before left,
 * W -= lr g x_prev^T, taken in the same pass over W as y = W x + b, so
 * that W, the largest matrix, goes through the cache once a sample instead
 * of twice. The numbers are those of the two passes. */
static void
forward_fused (Net *net, const real *restrict x, real *restrict y, real lr)
{
  Layer *l = &net->layer[0];
  const real *restrict xp = net->pending_x, *restrict g = net->g[1];

  if (xp == NULL)
    {
      forward_loops (l, x, y, 1);
      return;
    }
  for (size_t k = 0; k < l->n_out; k++)
    {
      real *restrict w = l->W + k * l->n_in, step = lr * g[k], acc = 0;

#pragma omp simd reduction(+ : acc)
      for (size_t j = 0; j < l->n_in; j++)
        {
          w[j] -= step * xp[j];
          acc += w[j] * x[j];
        }
      l->b[k] -= step;
      acc += l->b[k];
      y[k] = acc < 0 ? 0 : acc;
    }
  net->pending_x = NULL;
}

/* Takes the first layer's step still pending, if any. */
static void
flush_pending (Net *net, real lr)
{
  if (net->pending_x != NULL)
    backward_loops (&net->layer[0], net->g[1], net->pending_x, NULL, lr);
  net->pending_x = NULL;
}

typedef enum { VARIANT_LOOPS, VARIANT_FUSED, VARIANT_BLAS } Variant;

static const char *const variant_names[] = { "loops", "fused", "blas" };

/* One online step on x with class label; returns the sample's loss. */
static double
train_step (Net *net, Variant variant, const real *x, unsigned label,
            real lr)
{
  double loss;

  /* Forward: x -> h1 -> h2 -> z, then sigma = softmax(z). */
  net->h[0] = (real *) x;
  for (int i = 0; i < N_LAYERS; i++)
    if (variant == VARIANT_FUSED && i == 0)
      forward_fused (net, x, net->h[1], lr);
    else if (variant == VARIANT_BLAS)
      forward_blas (&net->layer[i], net->h[i], net->h[i + 1],
                    i < N_LAYERS - 1);
    else
      forward_loops (&net->layer[i], net->h[i], net->h[i + 1],
                     i < N_LAYERS - 1);
  loss = softmax_ce (net->h[N_LAYERS], FM_CLASSES, label);

  /* The fused gradient of section 8: sigma - f. */
  memcpy (net->g[N_LAYERS], net->h[N_LAYERS], FM_CLASSES * sizeof (real));
  net->g[N_LAYERS][label] -= 1;

  /* Backward, last layer first; every layer's carried row from the old
   * weights (simultaneous order). The first layer carries nothing. */
  for (int i = N_LAYERS - 1; i >= 0; i--)
    {
      real *g_in = i > 0 ? net->g[i] : NULL;

      if (variant == VARIANT_FUSED && i == 0)
        net->pending_x = x;
      else if (variant == VARIANT_BLAS)
        backward_blas (&net->layer[i], net->g[i + 1], net->h[i], g_in, lr);
      else
        backward_loops (&net->layer[i], net->g[i + 1], net->h[i], g_in, lr);
    }
  return loss;
}

static unsigned
predict (Net *net, const real *x)
{
  unsigned best = 0;

  net->h[0] = (real *) x;
  for (int i = 0; i < N_LAYERS; i++)
    forward_loops (&net->layer[i], net->h[i], net->h[i + 1],
                   i < N_LAYERS - 1);
  for (unsigned k = 1; k < FM_CLASSES; k++)
    if (net->h[N_LAYERS][k] > net->h[N_LAYERS][best])
      best = k;
  return best;
}

/* x = pixel / 255 in this precision, for n samples. */
static real *
scale_pixels (const FmSet *set)
{
  real *X = xmalloc (set->n * set->dim * sizeof (real));

  for (size_t i = 0; i < set->n * set->dim; i++)
    X[i] = (real) (set->pixels[i] / 255.0);
  return X;
}

typedef struct {
  Variant variant;
  int runs;
  size_t samples, test_samples; /* test_samples 0: all */
  double lr;
  uint64_t seed;
  int xor_mode;
  long epochs;
  const char *dir;
} Options;

static int
run_fmnist (const Options *opt)
{
  FmSet train, test;
  char err[512];
  real *X, x_test[784];
  size_t *order, correct = 0;
  double loss = 0;
  Net net;

  if (fm_load (opt->dir, "train", opt->samples, &train, err, sizeof err)
      != 0
      || fm_load (opt->dir, "t10k", opt->test_samples, &test, err,
                  sizeof err)
           != 0)
    {
      fprintf (stderr, "handloop: %s\n", err);
      return 1;
    }
  if (train.dim != widths[0] || test.dim != widths[0])
    {
      fprintf (stderr, "handloop: expected %zu pixels a sample\n",
               widths[0]);
      return 1;
    }
  X = scale_pixels (&train);
  order = xmalloc (train.n * sizeof *order);
  net_init (&net);

  printf ("handloop %s, %s: 784-256-128-10 online, lr %g, %zu samples\n",
          IS_FLOAT ? "float" : "double",
          variant_names[opt->variant], opt->lr,
          train.n);
  /* Each run starts again from the same weights and shuffle. */
  for (int run = 1; run <= opt->runs; run++)
    {
      uint64_t s = opt->seed ^ 0x5DEECE66Du;
      double start, seconds;

      net_draw (&net, opt->seed);
      for (size_t i = 0; i < train.n; i++)
        order[i] = i;
      loss = 0;
      start = fm_now ();
      shuffle (&s, order, train.n);
      for (size_t i = 0; i < train.n; i++)
        loss += train_step (&net, opt->variant, X + order[i] * train.dim,
                            train.labels[order[i]], (real) opt->lr);
      flush_pending (&net, (real) opt->lr);
      seconds = fm_now () - start;
      printf ("run %d: %zu samples in %.6f s, %.3f us a sample\n", run,
              train.n, seconds, seconds * 1e6 / (double) train.n);
    }

  for (size_t i = 0; i < test.n; i++)
    {
      for (size_t j = 0; j < test.dim; j++)
        x_test[j] = (real) (test.pixels[i * test.dim + j] / 255.0);
      correct += predict (&net, x_test) == test.labels[i];
    }
  printf ("mean loss %.6g\n", loss / (double) train.n);
  printf ("test accuracy %.4f (%zu of %zu)\n",
          (double) correct / (double) test.n, correct, test.n);

  net_free (&net);
  free (order);
  free (X);
  fm_free (&train);
  fm_free (&test);
  return 0;
}

/* ---- The paper's 2-2-2 network on XOR --------------------------------- */

/* [A | Lambda] and [B | Xi] start from the explicit values of the graph
 * the bench writes for bpframe, so that both give the same loss. (From
 * configs/paper/section6.yaml's values the sequential order diverges on
 * XOR at lr 0.1, in bpframe and here alike.) */
typedef struct {
  real A[2][2], lambda[2], B[2][2], xi[2];
} Xor222;

static const real xor_x[4][2] = { { 0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } };
static const real xor_f[4][2] = { { 1, 0 }, { 0, 1 }, { 0, 1 }, { 1, 0 } };

/* One online step of sections 5 and 6: binary cross entropy averaged over
 * the 2 outputs, softmax, and the sequential order (B is stepped first
 * and carries m back already updated). Returns the sample's loss. */
static double
xor_step (Xor222 *n, const real *x, const real *f, real lr)
{
  real y[2], phi[2], z[2], sigma[2], M[2], m[2], mphi[2], max, sum, dot;
  double loss = 0;

  /* Forward: y = A x + Lambda, phi = ReLU(y), z = B phi + Xi. */
  for (int k = 0; k < 2; k++)
    {
      y[k] = n->A[k][0] * x[0] + n->A[k][1] * x[1] + n->lambda[k];
      phi[k] = y[k] > 0 ? y[k] : 0;
    }
  for (int k = 0; k < 2; k++)
    z[k] = n->B[k][0] * phi[0] + n->B[k][1] * phi[1] + n->xi[k];
  max = z[0] > z[1] ? z[0] : z[1];
  sigma[0] = (real) exp ((double) (z[0] - max));
  sigma[1] = (real) exp ((double) (z[1] - max));
  sum = sigma[0] + sigma[1];
  sigma[0] /= sum;
  sigma[1] /= sum;

  /* The loss and M = d loss / d sigma, then m = M D through the softmax's
   * jacobian D = diag(sigma) - sigma sigma^T. */
  for (int k = 0; k < 2; k++)
    {
      if (f[k] != 0)
        loss -= f[k] * log ((double) sigma[k]);
      if (f[k] != 1)
        loss -= (1 - f[k]) * log (1 - (double) sigma[k]);
      M[k] = (-f[k] / sigma[k] + (1 - f[k]) / (1 - sigma[k])) / 2;
    }
  dot = M[0] * sigma[0] + M[1] * sigma[1];
  for (int k = 0; k < 2; k++)
    m[k] = sigma[k] * (M[k] - dot);

  /* [B | Xi] -= lr diag(m) [phi 1]; then m is carried back through the
   * updated B and the ReLU. */
  for (int k = 0; k < 2; k++)
    {
      n->B[k][0] -= lr * m[k] * phi[0];
      n->B[k][1] -= lr * m[k] * phi[1];
      n->xi[k] -= lr * m[k];
    }
  for (int j = 0; j < 2; j++)
    {
      mphi[j] = m[0] * n->B[0][j] + m[1] * n->B[1][j];
      mphi[j] = y[j] > 0 ? mphi[j] : 0;
    }
  for (int k = 0; k < 2; k++)
    {
      n->A[k][0] -= lr * mphi[k] * x[0];
      n->A[k][1] -= lr * mphi[k] * x[1];
      n->lambda[k] -= lr * mphi[k];
    }
  return loss / 2;
}

static int
run_xor (const Options *opt)
{
  static const Xor222 start_values = {
    { { 0.6, -0.5 }, { -0.4, 0.7 } }, { 0.05, 0.05 },
    { { -0.5, -0.3 }, { 0.4, 0.6 } }, { 0.1, -0.1 }
  };
  Xor222 net = start_values;
  double loss = 0;
  long samples = opt->epochs * 4;

  printf ("handloop %s: the paper's 2-2-2 network on XOR, lr %g, "
          "%ld epochs\n", IS_FLOAT ? "float" : "double", opt->lr,
          opt->epochs);
  for (int run = 1; run <= opt->runs; run++)
    {
      double start = fm_now (), seconds;

      net = start_values;

      /* The rows in order every epoch (the bench's graph has shuffle:
       * false), the last epoch's mean loss kept. */
      for (long e = 0; e < opt->epochs; e++)
        {
          loss = 0;
          for (int i = 0; i < 4; i++)
            loss += xor_step (&net, xor_x[i], xor_f[i], (real) opt->lr);
        }
      seconds = fm_now () - start;
      printf ("run %d: %ld samples in %.6f s, %.2f ns a sample\n", run,
              samples, seconds, seconds * 1e9 / (double) samples);
    }
  printf ("final loss %.6g\n", loss / 4);

  /* The parameters as bpframe's model file lists them, [A | Lambda] then
   * [B | Xi] row by row, to every digit: the bench compares the two. */
  printf ("parameters");
  for (int k = 0; k < 2; k++)
    printf (" %.17g %.17g %.17g", (double) net.A[k][0], (double) net.A[k][1],
            (double) net.lambda[k]);
  for (int k = 0; k < 2; k++)
    printf (" %.17g %.17g %.17g", (double) net.B[k][0], (double) net.B[k][1],
            (double) net.xi[k]);
  printf ("\n");
  return 0;
}

/* ---- Command line ------------------------------------------------------ */

static int
parse (int argc, char **argv, Options *opt)
{
  opt->variant = VARIANT_LOOPS;
  opt->runs = 3;
  opt->samples = 3000;
  opt->test_samples = 0;
  opt->lr = -1;
  opt->seed = 1;
  opt->xor_mode = 0;
  opt->epochs = 250000;
  opt->dir = NULL;

  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

      if (strcmp (a, "--xor") == 0)
        {
          opt->xor_mode = 1;
          continue;
        }
      if (a[0] != '-')
        {
          if (opt->dir != NULL)
            return -1;
          opt->dir = a;
          continue;
        }
      if (v == NULL)
        return -1;
      i++;
      if (strcmp (a, "--variant") == 0 && strcmp (v, "loops") == 0)
        opt->variant = VARIANT_LOOPS;
      else if (strcmp (a, "--variant") == 0 && strcmp (v, "fused") == 0)
        opt->variant = VARIANT_FUSED;
      else if (strcmp (a, "--variant") == 0 && strcmp (v, "blas") == 0)
        opt->variant = VARIANT_BLAS;
      else if (strcmp (a, "--runs") == 0)
        opt->runs = atoi (v);
      else if (strcmp (a, "--samples") == 0)
        opt->samples = (size_t) strtoul (v, NULL, 10);
      else if (strcmp (a, "--test-samples") == 0)
        opt->test_samples = (size_t) strtoul (v, NULL, 10);
      else if (strcmp (a, "--lr") == 0)
        opt->lr = strtod (v, NULL);
      else if (strcmp (a, "--seed") == 0)
        opt->seed = strtoull (v, NULL, 10);
      else if (strcmp (a, "--epochs") == 0)
        opt->epochs = strtol (v, NULL, 10);
      else
        return -1;
    }
  if (opt->lr < 0)
    opt->lr = opt->xor_mode ? 0.1 : 0.01;
  if (opt->runs < 1 || opt->samples < 1 || opt->epochs < 1 || opt->lr <= 0
      || (opt->dir == NULL) != opt->xor_mode)
    return -1;
  return 0;
}

int
main (int argc, char **argv)
{
  Options opt;

  if (parse (argc, argv, &opt) != 0)
    {
      fputs (usage, stderr);
      return 2;
    }
  return opt.xor_mode ? run_xor (&opt) : run_fmnist (&opt);
}
