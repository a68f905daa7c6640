/* FANN 2.2 (Debian's libfann-dev) as a peer of bpframe's online path:
 * 784-256-128-10 trained one sample at a time (FANN's incremental mode)
 * on Fashion-MNIST, timed per sample, then tested. Built twice by
 * tools/bench/run: double (-ldoublefann) and -DREAL=float (-lfloatfann).
 *
 * FANN 2.2 has neither ReLU nor softmax: the hidden layers use
 * FANN_LINEAR_PIECE (max(0, min(1, y)), FANN's closest to ReLU; its
 * derivative is taken as 1 even where it clips), the output FANN_SIGMOID,
 * and the error is FANN's linear one (the gradient of the squared error)
 * rather than cross entropy. Steepness is 1 throughout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmnist.h"

/* -DREAL=float picks FANN's float library; anything else, double. */
#define BENCH_CAT(a, b) a##b
#define BENCH_XCAT(a, b) BENCH_CAT (a, b)
#define float_is_float 1
#define double_is_float 0
#ifndef REAL
#define REAL double
#endif
#if BENCH_XCAT (REAL, _is_float)
#include <floatfann.h>
#define PRECISION "float"
#else
#include <doublefann.h>
#define PRECISION "double"
#endif

static const char *const usage =
  "usage: fann_driver [--runs R] [--samples N] [--test-samples T]\n"
  "                   [--lr LR] [--seed S] DATA_DIR\n"
  "FANN incremental training of 784-256-128-10 on the first N Fashion-MNIST\n"
  "training samples (one shuffled pass a run), then the test accuracy.\n";

/* A small generator of our own for the shuffle (FANN's init uses rand,
 * seeded here with srand). */
static unsigned long long
next_u64 (unsigned long long *s)
{
  unsigned long long z = (*s += 0x9E3779B97F4A7C15ull);

  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void *
xmalloc (size_t size)
{
  void *p = malloc (size);

  if (p == NULL)
    {
      fputs ("fann_driver: out of memory\n", stderr);
      exit (1);
    }
  return p;
}

/* x = pixel / 255 in fann_type, for every sample of set. */
static fann_type *
scale_pixels (const FmSet *set)
{
  fann_type *X = xmalloc (set->n * set->dim * sizeof (fann_type));

  for (size_t i = 0; i < set->n * set->dim; i++)
    X[i] = (fann_type) (set->pixels[i] / 255.0);
  return X;
}

static struct fann *
make_network (double lr, unsigned seed)
{
  struct fann *ann = fann_create_standard (4, 784, 256, 128, FM_CLASSES);

  if (ann == NULL)
    return NULL;
  fann_set_activation_function_hidden (ann, FANN_LINEAR_PIECE);
  fann_set_activation_function_output (ann, FANN_SIGMOID);
  fann_set_activation_steepness_hidden (ann, 1);
  fann_set_activation_steepness_output (ann, 1);
  fann_set_training_algorithm (ann, FANN_TRAIN_INCREMENTAL);
  fann_set_train_error_function (ann, FANN_ERRORFUNC_LINEAR);
  fann_set_learning_rate (ann, (float) lr);
  fann_set_learning_momentum (ann, 0);
  /* The same starting weights every run (FANN's own range). */
  srand (seed);
  fann_randomize_weights (ann, -0.1f, 0.1f);
  return ann;
}

int
main (int argc, char **argv)
{
  int runs = 3;
  size_t samples = 3000, test_samples = 0, correct = 0;
  double lr = 0.01;
  unsigned seed = 1;
  const char *dir = NULL;
  FmSet train, test;
  fann_type *X, *T, *X_test, target[FM_CLASSES];
  size_t *order;
  struct fann *ann = NULL;
  char err[512];

  for (int i = 1; i < argc; i++)
    {
      const char *v = i + 1 < argc ? argv[i + 1] : NULL;

      if (argv[i][0] != '-' && dir == NULL)
        dir = argv[i];
      else if (strcmp (argv[i], "--runs") == 0 && v != NULL)
        runs = atoi (argv[++i]);
      else if (strcmp (argv[i], "--samples") == 0 && v != NULL)
        samples = (size_t) strtoul (argv[++i], NULL, 10);
      else if (strcmp (argv[i], "--test-samples") == 0 && v != NULL)
        test_samples = (size_t) strtoul (argv[++i], NULL, 10);
      else if (strcmp (argv[i], "--lr") == 0 && v != NULL)
        lr = strtod (argv[++i], NULL);
      else if (strcmp (argv[i], "--seed") == 0 && v != NULL)
        seed = (unsigned) strtoul (argv[++i], NULL, 10);
      else
        dir = NULL, i = argc;
    }
  if (dir == NULL || runs < 1 || samples < 1 || lr <= 0)
    {
      fputs (usage, stderr);
      return 2;
    }

  if (fm_load (dir, "train", samples, &train, err, sizeof err) != 0
      || fm_load (dir, "t10k", test_samples, &test, err, sizeof err) != 0)
    {
      fprintf (stderr, "fann_driver: %s\n", err);
      return 1;
    }
  X = scale_pixels (&train);
  X_test = scale_pixels (&test);
  /* One-hot targets: 1 for the class, 0 elsewhere. */
  T = xmalloc (train.n * FM_CLASSES * sizeof (fann_type));
  for (size_t i = 0; i < train.n; i++)
    for (unsigned k = 0; k < FM_CLASSES; k++)
      T[i * FM_CLASSES + k] = train.labels[i] == k;
  order = xmalloc (train.n * sizeof *order);

  printf ("fann %s: 784-256-128-10 incremental, lr %g, %zu samples\n",
          PRECISION, lr, train.n);
  for (int run = 1; run <= runs; run++)
    {
      unsigned long long s = seed;
      double start, seconds;

      if (ann != NULL)
        fann_destroy (ann);
      ann = make_network (lr, seed);
      if (ann == NULL)
        {
          fputs ("fann_driver: fann_create_standard failed\n", stderr);
          return 1;
        }
      for (size_t i = 0; i < train.n; i++)
        order[i] = i;

      /* One shuffled pass, one fann_train (an incremental step) a
       * sample: what fann_train_epoch does in FANN_TRAIN_INCREMENTAL. */
      start = fm_now ();
      for (size_t i = train.n; i > 1; i--)
        {
          size_t j = (size_t) (next_u64 (&s) % i), t = order[i - 1];

          order[i - 1] = order[j];
          order[j] = t;
        }
      for (size_t i = 0; i < train.n; i++)
        fann_train (ann, X + order[i] * train.dim,
                    T + order[i] * FM_CLASSES);
      seconds = fm_now () - start;
      printf ("run %d: %zu samples in %.6f s, %.3f us a sample\n", run,
              train.n, seconds, seconds * 1e6 / (double) train.n);
    }

  for (size_t i = 0; i < test.n; i++)
    {
      fann_type *y = fann_run (ann, X_test + i * test.dim);
      unsigned best = 0;

      memcpy (target, y, sizeof target);
      for (unsigned k = 1; k < FM_CLASSES; k++)
        if (target[k] > target[best])
          best = k;
      correct += best == test.labels[i];
    }
  printf ("test accuracy %.4f (%zu of %zu)\n",
          (double) correct / (double) test.n, correct, test.n);

  fann_destroy (ann);
  free (order);
  free (T);
  free (X);
  free (X_test);
  fm_free (&train);
  fm_free (&test);
  return 0;
}
