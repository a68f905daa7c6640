/* Checks of the standard plugins, loaded through the core's loader as the
 * program loads them: the paper's numbers, jacobians and gradients against
 * central finite differences, and each fast form against its explicit one.
 */
#include <math.h>
#include <string.h>

#include "plugin.h"

#define WIDTH 4    /* inputs of every layer under test */
#define POINTS 5   /* random points per finite-difference check */
#define BATCH 3    /* samples in the fast-form checks */
#define STEP 1e-6  /* central-difference step h */
#define FD_TOL 1e-6
#define FAST_TOL 1e-12

/* ---- Helpers ----------------------------------------------------------- */

/* |a - b| within tol relative to |b|, or absolute when |b| < 1; a macro
 * so that a failure names the caller's line. */
#define assert_close(a, b, tol) \
  g_assert_cmpfloat_with_epsilon ((a), (b), \
                                  (tol) * MAX (1.0, fabs ((double) (b))))

static BpLoadedPlugin *
load (const char *name, const char *dir_variable)
{
  const char *dir = g_getenv (dir_variable);
  const char *const search_path[] = { dir, NULL };
  g_autoptr (GError) error = NULL;
  BpLoadedPlugin *plugin;

  g_assert_nonnull (dir);
  plugin = bp_plugin_load (name, search_path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (plugin);
  g_assert_cmpstr (plugin->desc->name, ==, name);
  return plugin;
}

static BpArg
arg_int (const char *name, gint64 value)
{
  BpArg arg = { .name = name, .type = BP_ARG_INT, .integer = value };

  return arg;
}

static BpArg
arg_string (const char *name, const char *value)
{
  BpArg arg = { .name = name, .type = BP_ARG_STRING, .string = value };

  return arg;
}

/* A list of lists when rows > 0, else a flat list of cols numbers. */
static BpArg
arg_reals (const char *name, const double *reals, size_t rows, size_t cols)
{
  BpArg arg = { .name = name, .type = BP_ARG_REALS, .reals = reals,
                .n_reals = rows > 0 ? rows * cols : cols,
                .rows = rows, .cols = cols };

  return arg;
}

/* One layer instance with its P (NULL without parameters), made as the
 * core makes it: init with the host and a seeded stream, then P from
 * init_params. */
typedef struct {
  BpLoadedPlugin *plugin;
  const BpPlugin *d;
  void *state;
  BpLayerShape shape;
  size_t n_in;
  bp_real *P;
} Layer;

static int
layer_try_init (const BpPlugin *d, size_t n_in, const BpArg *args,
                size_t n_args, guint32 seed, void **state,
                BpLayerShape *shape, BpError *err)
{
  GRand *rng = g_rand_new_with_seed (seed);
  BpLayerConfig config = { .n_in = n_in, .args = args, .n_args = n_args,
                           .host = bp_host (), .rng = rng };
  int rc;

  memset (err, 0, sizeof *err);
  memset (shape, 0, sizeof *shape);
  rc = d->layer_init (&config, state, shape, err);
  g_rand_free (rng);
  return rc;
}

static Layer *
layer_new (const char *name, const char *dir_variable, size_t n_in,
           const BpArg *args, size_t n_args, guint32 seed)
{
  Layer *layer = g_new0 (Layer, 1);
  BpError err;
  int rc;

  layer->plugin = load (name, dir_variable);
  layer->d = layer->plugin->desc;
  layer->n_in = n_in;
  g_assert_cmpint (layer->d->kind, ==, BP_KIND_LAYER);
  rc = layer_try_init (layer->d, n_in, args, n_args, seed, &layer->state,
                       &layer->shape, &err);
  g_assert_cmpstr (err.message, ==, "");
  g_assert_cmpint (rc, ==, 0);
  g_assert_cmpuint (layer->shape.n_out, >, 0);
  if (layer->shape.param_rows > 0)
    {
      g_assert_cmpuint (layer->shape.param_rows, ==, layer->shape.n_out);
      g_assert_nonnull (layer->d->init_params);
      layer->P = g_new0 (bp_real, layer->shape.param_rows
                                  * layer->shape.param_cols);
      {
        GRand *rng = g_rand_new_with_seed (seed);
        BpLayerConfig config = { .n_in = n_in, .args = args,
                                 .n_args = n_args, .host = bp_host (),
                                 .rng = rng };

        layer->d->init_params (layer->state, &config, layer->P);
        g_rand_free (rng);
      }
    }
  return layer;
}

static void
layer_free (Layer *layer)
{
  if (layer->d->fini != NULL)
    layer->d->fini (layer->state);
  g_free (layer->P);
  bp_plugin_unload (layer->plugin);
  g_free (layer);
}

static void
layer_forward (Layer *layer, size_t n, const bp_real *X, bp_real *Y)
{
  layer->d->forward (layer->state, layer->P, n, X, Y);
}

typedef struct {
  BpLoadedPlugin *plugin;
  const BpPlugin *d;
  void *state;
  size_t n_out;
} Loss;

static Loss *
loss_new (const char *name, size_t n_out)
{
  Loss *loss = g_new0 (Loss, 1);
  BpLossConfig config = { .n_out = n_out };
  BpError err = { { 0 }, NULL };

  loss->plugin = load (name, "BP_BUILD_PLUGINDIR");
  loss->d = loss->plugin->desc;
  loss->n_out = n_out;
  g_assert_cmpint (loss->d->kind, ==, BP_KIND_LOSS);
  g_assert_null (loss->d->params);
  g_assert_cmpint (loss->d->loss_init (&config, &loss->state, &err), ==, 0);
  return loss;
}

static void
loss_free (Loss *loss)
{
  if (loss->d->fini != NULL)
    loss->d->fini (loss->state);
  bp_plugin_unload (loss->plugin);
  g_free (loss);
}

static void
fill_random (GRand *rng, bp_real *v, size_t n, double lo, double hi)
{
  for (size_t i = 0; i < n; i++)
    v[i] = g_rand_double_range (rng, lo, hi);
}

/* The softmax, written out here so that the loss checks do not depend on
 * the plugin they are used to check. */
static void
plain_softmax (const bp_real *z, bp_real *s, size_t n)
{
  double max = z[0], sum = 0;

  for (size_t k = 1; k < n; k++)
    max = MAX (max, z[k]);
  for (size_t k = 0; k < n; k++)
    sum += s[k] = exp (z[k] - max);
  for (size_t k = 0; k < n; k++)
    s[k] /= sum;
}

/* ---- 1. The paper's Example 4 ------------------------------------------ */

static void
test_softmax_example4 (void)
{
  Layer *softmax = layer_new ("softmax", "BP_BUILD_PLUGINDIR", 2, NULL, 0,
                              1);
  const bp_real z[2] = { 1.9, 1.1 };
  const double J_paper[4] = { 0.2139097, -0.2139097, -0.2139097, 0.2139097 };
  bp_real s[2], J[4];

  layer_forward (softmax, 1, z, s);
  g_assert_cmpfloat_with_epsilon (s[0], 0.68997448, 1e-8);
  g_assert_cmpfloat_with_epsilon (s[1], 0.31002552, 1e-8);

  softmax->d->jacobian (softmax->state, NULL, z, s, J);
  for (size_t i = 0; i < 4; i++)
    g_assert_cmpfloat_with_epsilon (J[i], J_paper[i], 1e-7);
  g_assert_cmpuint (softmax->d->output_flags, ==,
                    BP_OUTPUT_DISTRIBUTION | BP_OUTPUT_UNIT_INTERVAL);
  layer_free (softmax);
}

/* ---- 2. Jacobians and L against finite differences --------------------- */

/* d y / d x by central differences at POINTS random x in [lo, hi),
 * against the plugin's jacobian. Inputs closer than skip to 0 are not
 * compared (the kink of relu). Fails when nothing was compared or J was
 * all zeros. */
static void
check_jacobian_in (Layer *layer, double lo, double hi, double skip,
                   guint32 seed)
{
  GRand *rng = g_rand_new_with_seed (seed);
  size_t d = layer->n_in, v = layer->shape.n_out;
  bp_real x[WIDTH], xh[WIDTH], y[WIDTH], yp[WIDTH], ym[WIDTH];
  bp_real J[WIDTH * WIDTH];
  guint compared = 0, nonzero = 0;

  g_assert_cmpuint (d, <=, WIDTH);
  g_assert_cmpuint (v, <=, WIDTH);
  for (int point = 0; point < POINTS; point++)
    {
      fill_random (rng, x, d, lo, hi);
      layer_forward (layer, 1, x, y);
      for (size_t i = 0; i < v * d; i++)
        J[i] = NAN; /* the callee writes every entry */
      layer->d->jacobian (layer->state, layer->P, x, y, J);

      for (size_t j = 0; j < d; j++)
        {
          if (fabs (x[j]) < skip)
            continue;
          memcpy (xh, x, sizeof x);
          xh[j] = x[j] + STEP;
          layer_forward (layer, 1, xh, yp);
          xh[j] = x[j] - STEP;
          layer_forward (layer, 1, xh, ym);
          for (size_t k = 0; k < v; k++)
            {
              double numeric = (yp[k] - ym[k]) / (2 * STEP);

              assert_close (J[k * d + j], numeric, FD_TOL);
              compared++;
              nonzero += J[k * d + j] != 0;
            }
        }
    }
  g_test_message ("%s: %u jacobian entries compared, %u nonzero",
                  layer->d->name, compared, nonzero);
  g_assert_cmpuint (compared, >, 0);
  g_assert_cmpuint (nonzero, >, 0);
  g_rand_free (rng);
}

static void
check_jacobian (Layer *layer, double skip, guint32 seed)
{
  check_jacobian_in (layer, -2, 2, skip, seed);
}

/* Exponents for power at WIDTH inputs: integers, as in the paper's
 * chains, and non-integers, negative ones too. x stays positive. */
static const double power_exponents[][WIDTH] = {
  { 2, 3, 1, 0.5 },
  { 2.5, -1, -0.5, 4 },
};

static void
test_jacobians (void)
{
  BpArg affine_args[2] = { arg_int ("units", 3),
                           arg_string ("init", "uniform") };
  struct {
    const char *name, *dir;
    double skip;
  } layers[] = {
    { "relu", "BP_BUILD_PLUGINDIR", 1e-3 },
    { "logistic", "BP_BUILD_PLUGINDIR", 0 },
    { "softmax", "BP_BUILD_PLUGINDIR", 0 },
    { "softsign", "BP_TEST_PLUGINDIR", 0 },
  };
  Layer *layer;

  layer = layer_new ("affine", "BP_BUILD_PLUGINDIR", WIDTH, affine_args, 2,
                     7);
  check_jacobian (layer, 0, 11);
  layer_free (layer);

  for (size_t i = 0; i < G_N_ELEMENTS (layers); i++)
    {
      layer = layer_new (layers[i].name, layers[i].dir, WIDTH, NULL, 0, 7);
      g_assert_cmpuint (layer->shape.n_out, ==, WIDTH);
      g_assert_cmpuint (layer->shape.param_rows, ==, 0);
      g_assert_null (layer->P);
      check_jacobian (layer, layers[i].skip, 11 + i);
      layer_free (layer);
    }

  /* power at positive points only: x^2.5 and x^-1 need x > 0. */
  for (size_t i = 0; i < G_N_ELEMENTS (power_exponents); i++)
    {
      BpArg exponents = arg_reals ("exponents", power_exponents[i], 0,
                                   WIDTH);

      layer = layer_new ("power", "BP_BUILD_PLUGINDIR", WIDTH, &exponents,
                         1, 7);
      g_assert_cmpuint (layer->shape.n_out, ==, WIDTH);
      g_assert_cmpuint (layer->shape.param_rows, ==, 0);
      g_assert_null (layer->P);
      check_jacobian_in (layer, 0.5, 2, 0, 17 + i);
      layer_free (layer);
    }

  layer = layer_new ("sum", "BP_BUILD_PLUGINDIR", WIDTH, NULL, 0, 7);
  g_assert_cmpuint (layer->shape.n_out, ==, 1);
  g_assert_cmpuint (layer->shape.param_rows, ==, 0);
  check_jacobian (layer, 0, 19);
  layer_free (layer);
}

/* The paper's L = d y_k / d P[k][j] by perturbing each entry of P; every
 * other output must not move (row k of P is output k's alone). */
static void
test_affine_local_L (void)
{
  BpArg args[2] = { arg_int ("units", 3), arg_string ("init", "uniform") };
  Layer *affine = layer_new ("affine", "BP_BUILD_PLUGINDIR", WIDTH, args, 2,
                             23);
  GRand *rng = g_rand_new_with_seed (29);
  size_t v = affine->shape.n_out, c = affine->shape.param_cols;
  bp_real x[WIDTH], y[3], yp[3], ym[3], L[3 * (WIDTH + 1)];
  guint compared = 0, nonzero = 0;

  g_assert_cmpuint (v, ==, 3);
  g_assert_cmpuint (c, ==, WIDTH + 1);
  for (int point = 0; point < POINTS; point++)
    {
      fill_random (rng, x, WIDTH, -2, 2);
      layer_forward (affine, 1, x, y);
      affine->d->local_L (affine->state, affine->P, x, y, L);

      for (size_t k = 0; k < v; k++)
        for (size_t j = 0; j < c; j++)
          {
            bp_real saved = affine->P[k * c + j];

            affine->P[k * c + j] = saved + STEP;
            layer_forward (affine, 1, x, yp);
            affine->P[k * c + j] = saved - STEP;
            layer_forward (affine, 1, x, ym);
            affine->P[k * c + j] = saved;
            for (size_t i = 0; i < v; i++)
              {
                double numeric = (yp[i] - ym[i]) / (2 * STEP);

                assert_close (i == k ? L[k * c + j] : 0, numeric, FD_TOL);
                compared++;
              }
            nonzero += L[k * c + j] != 0;
          }
    }
  g_assert_cmpuint (compared, >, 0);
  g_assert_cmpuint (nonzero, >, 0);
  g_rand_free (rng);
  layer_free (affine);
}

/* ---- 3. Fast forms against explicit forms ------------------------------ */

static void
check_jacobian_product_in (Layer *layer, double lo, double hi,
                           guint32 seed)
{
  GRand *rng = g_rand_new_with_seed (seed);
  size_t d = layer->n_in, v = layer->shape.n_out;
  bp_real X[BATCH * WIDTH], Y[BATCH * WIDTH], G[BATCH * WIDTH];
  bp_real G_in[BATCH * WIDTH], J[WIDTH * WIDTH];

  g_assert_nonnull (layer->d->jacobian_product);
  fill_random (rng, X, BATCH * d, lo, hi);
  fill_random (rng, G, BATCH * v, -1, 1);
  layer_forward (layer, BATCH, X, Y);
  layer->d->jacobian_product (layer->state, layer->P, BATCH, X, Y, G, G_in);

  for (size_t i = 0; i < BATCH; i++)
    {
      layer->d->jacobian (layer->state, layer->P, X + i * d, Y + i * v, J);
      for (size_t j = 0; j < d; j++)
        {
          double mJ = 0;

          for (size_t k = 0; k < v; k++)
            mJ += G[i * v + k] * J[k * d + j];
          assert_close (G_in[i * d + j], mJ, FAST_TOL);
        }
    }
  g_rand_free (rng);
}

static void
check_jacobian_product (Layer *layer, guint32 seed)
{
  check_jacobian_product_in (layer, -2, 2, seed);
}

static void
test_fast_forms (void)
{
  BpArg args[2] = { arg_int ("units", 3), arg_string ("init", "uniform") };
  const char *elementwise[] = { "relu", "logistic", "softmax" };
  Layer *affine = layer_new ("affine", "BP_BUILD_PLUGINDIR", WIDTH, args, 2,
                             31);
  GRand *rng = g_rand_new_with_seed (37);
  size_t v = 3, c = WIDTH + 1;
  bp_real X[BATCH * WIDTH], Y[BATCH * 3], G[BATCH * 3], L[3 * (WIDTH + 1)];
  bp_real fast[3 * (WIDTH + 1)], slow[3 * (WIDTH + 1)];

  check_jacobian_product (affine, 41);
  for (size_t i = 0; i < G_N_ELEMENTS (elementwise); i++)
    {
      Layer *layer = layer_new (elementwise[i], "BP_BUILD_PLUGINDIR", WIDTH,
                                NULL, 0, 1);

      check_jacobian_product (layer, 43 + i);
      layer_free (layer);
    }
  for (size_t i = 0; i < G_N_ELEMENTS (power_exponents); i++)
    {
      BpArg exponents = arg_reals ("exponents", power_exponents[i], 0,
                                   WIDTH);
      Layer *power = layer_new ("power", "BP_BUILD_PLUGINDIR", WIDTH,
                                &exponents, 1, 1);

      check_jacobian_product_in (power, 0.5, 2, 47 + i);
      layer_free (power);
    }
  {
    Layer *sum = layer_new ("sum", "BP_BUILD_PLUGINDIR", WIDTH, NULL, 0, 1);

    check_jacobian_product (sum, 49);
    layer_free (sum);
  }

  /* update_batch adds the sum of diag(m_i) L_i to what grad held. */
  g_assert_nonnull (affine->d->update_batch);
  fill_random (rng, X, BATCH * WIDTH, -2, 2);
  fill_random (rng, G, BATCH * v, -1, 1);
  fill_random (rng, slow, v * c, -1, 1);
  memcpy (fast, slow, sizeof fast);
  layer_forward (affine, BATCH, X, Y);
  affine->d->update_batch (affine->state, affine->P, BATCH, X, Y, G, fast);
  for (size_t i = 0; i < BATCH; i++)
    {
      affine->d->local_L (affine->state, affine->P, X + i * WIDTH,
                          Y + i * v, L);
      affine->d->update (affine->state, G + i * v, L, slow);
    }
  for (size_t i = 0; i < v * c; i++)
    assert_close (fast[i], slow[i], FAST_TOL);

  g_rand_free (rng);
  layer_free (affine);
}

/* The test-only plugin has the explicit forms alone, as a new layer may. */
static void
test_softsign_minimal (void)
{
  Layer *softsign = layer_new ("softsign", "BP_TEST_PLUGINDIR", 2, NULL, 0,
                               1);
  const bp_real x[2] = { 3, -1 };
  bp_real y[2];

  g_assert_null (softsign->d->jacobian_product);
  g_assert_null (softsign->d->update_batch);
  g_assert_null (softsign->d->local_L);
  layer_forward (softsign, 1, x, y);
  g_assert_cmpfloat_with_epsilon (y[0], 0.75, 1e-15);
  g_assert_cmpfloat_with_epsilon (y[1], -0.5, 1e-15);
  layer_free (softsign);
}

/* Saturated inputs give finite outputs and derivatives, not NaN. */
static void
test_extreme_inputs (void)
{
  Layer *logistic = layer_new ("logistic", "BP_BUILD_PLUGINDIR", 3, NULL, 0,
                               1);
  Layer *softmax = layer_new ("softmax", "BP_BUILD_PLUGINDIR", 2, NULL, 0,
                              1);
  Layer *relu = layer_new ("relu", "BP_BUILD_PLUGINDIR", 2, NULL, 0, 1);
  const bp_real x[3] = { 1000, -1000, -700 }, z[2] = { 1000, 999 };
  const bp_real r[2] = { 0, -1 };
  bp_real y[3], J[9];

  layer_forward (logistic, 1, x, y);
  g_assert_cmpfloat (y[0], ==, 1);
  g_assert_cmpfloat (y[1], ==, 0);
  assert_close (y[2] / exp (-700), 1.0, 1e-12);
  logistic->d->jacobian (logistic->state, NULL, x, y, J);
  for (size_t i = 0; i < 9; i++)
    g_assert_true (isfinite (J[i]));

  layer_forward (softmax, 1, z, y);
  g_assert_cmpfloat_with_epsilon (y[0], 1 / (1 + exp (-1.0)), 1e-15);
  g_assert_cmpfloat_with_epsilon (y[0] + y[1], 1, 1e-15);

  /* J = diag(x > 0): 0 at the kink x = 0 itself. */
  layer_forward (relu, 1, r, y);
  relu->d->jacobian (relu->state, NULL, r, y, J);
  for (size_t i = 0; i < 4; i++)
    g_assert_cmpfloat (J[i], ==, 0);

  layer_free (logistic);
  layer_free (softmax);
  layer_free (relu);
}

/* ---- 4. Loss gradients --------------------------------------------------- */

/* M against central differences of loss_value (n = 1), sigma from
 * make_sigma and f from make_f at POINTS random points. */
typedef void (*MakeVector) (GRand *rng, bp_real *v, size_t n);

static void
random_distribution (GRand *rng, bp_real *v, size_t n)
{
  bp_real z[WIDTH];

  fill_random (rng, z, n, -2, 2);
  plain_softmax (z, v, n);
}

static void
random_one_hot (GRand *rng, bp_real *v, size_t n)
{
  gint32 hot = g_rand_int_range (rng, 0, (gint32) n);

  for (size_t k = 0; k < n; k++)
    v[k] = (gint32) k == hot ? 1 : 0;
}

static void
random_inner (GRand *rng, bp_real *v, size_t n)
{
  fill_random (rng, v, n, 0.05, 0.95);
}

static void
random_unit (GRand *rng, bp_real *v, size_t n)
{
  fill_random (rng, v, n, 0, 1);
}

static void
random_real (GRand *rng, bp_real *v, size_t n)
{
  fill_random (rng, v, n, -2, 2);
}

static void
check_loss_gradient (const char *name, MakeVector make_sigma,
                     MakeVector make_f, guint32 seed)
{
  Loss *loss = loss_new (name, WIDTH);
  GRand *rng = g_rand_new_with_seed (seed);
  bp_real sigma[WIDTH], f[WIDTH], M[WIDTH], s[WIDTH];
  guint compared = 0, nonzero = 0;

  for (int point = 0; point < POINTS; point++)
    {
      make_sigma (rng, sigma, WIDTH);
      make_f (rng, f, WIDTH);
      loss->d->loss_gradient (loss->state, sigma, f, M);
      for (size_t k = 0; k < WIDTH; k++)
        {
          double up, down;

          memcpy (s, sigma, sizeof s);
          s[k] = sigma[k] + STEP;
          up = loss->d->loss_value (loss->state, 1, s, f);
          s[k] = sigma[k] - STEP;
          down = loss->d->loss_value (loss->state, 1, s, f);
          assert_close (M[k], (up - down) / (2 * STEP), FD_TOL);
          compared++;
          nonzero += M[k] != 0;
        }
    }
  g_assert_cmpuint (compared, >, 0);
  g_assert_cmpuint (nonzero, >, 0);
  g_rand_free (rng);
  loss_free (loss);
}

static void
test_loss_gradients (void)
{
  check_loss_gradient ("cross_entropy", random_distribution,
                       random_distribution, 51);
  check_loss_gradient ("cross_entropy", random_distribution, random_one_hot,
                       52);
  check_loss_gradient ("binary_cross_entropy", random_inner, random_unit,
                       53);
  check_loss_gradient ("binary_cross_entropy", random_inner, random_one_hot,
                       54);
  check_loss_gradient ("mse", random_real, random_real, 55);
}

/* Section 8: after softmax, the fused gradient is M D and sigma - f. */
static void
check_fused (Loss *ce, Layer *softmax, MakeVector make_f, guint32 seed)
{
  GRand *rng = g_rand_new_with_seed (seed);
  bp_real Z[BATCH * WIDTH], S[BATCH * WIDTH], F[BATCH * WIDTH];
  bp_real G[BATCH * WIDTH], M[WIDTH], D[WIDTH * WIDTH];

  fill_random (rng, Z, BATCH * WIDTH, -2, 2);
  for (size_t i = 0; i < BATCH; i++)
    make_f (rng, F + i * WIDTH, WIDTH);
  layer_forward (softmax, BATCH, Z, S);
  ce->d->loss_fused_gradient (ce->state, BATCH, S, F, G);

  for (size_t i = 0; i < BATCH; i++)
    {
      const bp_real *s = S + i * WIDTH, *f = F + i * WIDTH;

      ce->d->loss_gradient (ce->state, s, f, M);
      softmax->d->jacobian (softmax->state, NULL, Z + i * WIDTH, s, D);
      for (size_t k = 0; k < WIDTH; k++)
        {
          double MD = 0;

          for (size_t p = 0; p < WIDTH; p++)
            MD += M[p] * D[p * WIDTH + k];
          assert_close (G[i * WIDTH + k], MD, FAST_TOL);
          assert_close (G[i * WIDTH + k], s[k] - f[k], FAST_TOL);
        }
    }
  g_rand_free (rng);
}

static void
test_fused_gradient (void)
{
  Loss *ce = loss_new ("cross_entropy", WIDTH);
  Layer *softmax = layer_new ("softmax", "BP_BUILD_PLUGINDIR", WIDTH, NULL,
                              0, 1);

  g_assert_cmpstr (ce->d->fused_partner, ==, "softmax");
  g_assert_cmpuint (ce->d->input_flags, ==, BP_OUTPUT_DISTRIBUTION);
  check_fused (ce, softmax, random_one_hot, 61);
  check_fused (ce, softmax, random_distribution, 62);
  layer_free (softmax);
  loss_free (ce);
}

/* ---- 5. Loss values by hand --------------------------------------------- */

static void
test_loss_values (void)
{
  Loss *ce = loss_new ("cross_entropy", 3);
  Loss *bce = loss_new ("binary_cross_entropy", 2);
  Loss *mse = loss_new ("mse", 2);
  const bp_real sigma3[6] = { 0.7, 0.2, 0.1, 1, 0, 0 };
  const bp_real f3[6] = { 0, 1, 0, 1, 0, 0 };
  const bp_real sigma2[2] = { 0.8, 0.3 }, f2[2] = { 1, 0 };
  const bp_real soft2[2] = { 0.5, 0.25 };
  const bp_real mse_sigma[2] = { 0.5, 0.25 }, mse_f[2] = { 1, 0 };
  bp_real M[3];

  /* -log 0.2; the second sample is 0 log 0 = 0 and 1 log 1 = 0. */
  assert_close (ce->d->loss_value (ce->state, 1, sigma3, f3),
                1.6094379124341003, 1e-15);
  g_assert_cmpfloat (ce->d->loss_value (ce->state, 1, sigma3 + 3, f3 + 3),
                     ==, 0);
  assert_close (ce->d->loss_value (ce->state, 2, sigma3, f3),
                1.6094379124341003, 1e-15);
  ce->d->loss_gradient (ce->state, sigma3 + 3, f3 + 3, M);
  g_assert_cmpfloat (M[0], ==, -1);
  g_assert_cmpfloat (M[1], ==, 0);
  g_assert_cmpfloat (M[2], ==, 0);

  /* The paper's section 5 loss with v = 2:
   * -1/2 [log 0.8 + log(1 - 0.3)] = 0.2899092476264711, and
   * M = -1/2 (1/0.8, -1/0.7). */
  assert_close (bce->d->loss_value (bce->state, 1, sigma2, f2),
                0.2899092476264711, 1e-15);
  bce->d->loss_gradient (bce->state, sigma2, f2, M);
  assert_close (M[0], -0.625, 1e-15);
  assert_close (M[1], 0.7142857142857143, 1e-15);
  /* Soft targets: -1/2 [0.5 log 0.8 + 0.5 log 0.2 + 0.25 log 0.3
   * + 0.75 log 0.7]. */
  assert_close (bce->d->loss_value (bce->state, 1, sigma2, soft2),
                0.7423950704548442, 1e-15);

  /* (0.5^2 + 0.25^2) / 2 and M = (2/2) (sigma - f). */
  assert_close (mse->d->loss_value (mse->state, 1, mse_sigma, mse_f),
                0.15625, 1e-15);
  mse->d->loss_gradient (mse->state, mse_sigma, mse_f, M);
  g_assert_cmpfloat (M[0], ==, -0.5);
  g_assert_cmpfloat (M[1], ==, 0.25);

  loss_free (ce);
  loss_free (bce);
  loss_free (mse);
}

/* ---- 6. affine's parameters -------------------------------------------- */

/* init of the layer name refuses args with message, naming param. */
static void
assert_layer_init_error (const char *name, const BpArg *args,
                         size_t n_args, size_t n_in, const char *message,
                         const char *param)
{
  g_autoptr (BpLoadedPlugin) plugin = load (name, "BP_BUILD_PLUGINDIR");
  BpLayerShape shape;
  BpError err;
  void *state = NULL;

  g_assert_cmpint (layer_try_init (plugin->desc, n_in, args, n_args, 1,
                                   &state, &shape, &err), ==, -1);
  g_assert_cmpstr (err.message, ==, message);
  g_assert_cmpstr (err.param, ==, param);
}

static void
assert_init_error (const BpArg *args, size_t n_args, size_t n_in,
                   const char *message, const char *param)
{
  assert_layer_init_error ("affine", args, n_args, n_in, message, param);
}

static void
test_affine_errors (void)
{
  const double w22[4] = { 1, 2, 3, 4 }, w23[6] = { 1, 2, 3, 4, 5, 6 };
  const double b3[3] = { 1, 2, 3 };
  BpArg args[3];

  args[0] = arg_int ("units", 0);
  assert_init_error (args, 1, 3, "units must be at least 1, got 0", "units");

  assert_init_error (NULL, 0, 3, "units is required (the width of y)",
                     NULL);

  args[0] = arg_int ("units", 2);
  args[1] = arg_reals ("weights", w22, 2, 2);
  assert_init_error (args, 2, 3,
                     "weights must be 2 x 3 (units x inputs), got 2 x 2",
                     "weights");

  args[1] = arg_reals ("weights", w23, 0, 6);
  assert_init_error (args, 2, 3,
                     "weights must be 2 x 3 (units x inputs), got a flat "
                     "list of 6", "weights");

  args[1] = arg_string ("init", "foo");
  assert_init_error (args, 2, 3,
                     "init must be one of he, xavier, uniform, zeros; "
                     "got 'foo'", "init");

  args[1] = arg_string ("init", "he");
  args[2] = arg_reals ("weights", w23, 2, 3);
  assert_init_error (args, 3, 3,
                     "init and weights exclude each other; give one",
                     "init");

  args[1] = arg_reals ("weights", w23, 2, 3);
  args[2] = arg_reals ("bias", b3, 0, 3);
  assert_init_error (args, 3, 3,
                     "bias must be a flat list of 2 numbers, got 3", "bias");

  args[1] = arg_reals ("bias", b3, 0, 2);
  assert_init_error (args, 2, 3,
                     "bias is given only with weights; a random init sets "
                     "its own bias", "bias");
}

static void
test_affine_explicit (void)
{
  /* The paper's [W | b] layout: row k is [w_k1 ... w_kd b_k]. */
  const double w[6] = { 1, -2, 3, 0.5, 0.25, -4 }, b[2] = { 10, -20 };
  const bp_real expected[8] = { 1, -2, 3, 10, 0.5, 0.25, -4, -20 };
  const bp_real expected_no_bias[8] = { 1, -2, 3, 0, 0.5, 0.25, -4, 0 };
  const bp_real x[3] = { 1, 2, 3 };
  BpArg args[3] = { arg_int ("units", 2), arg_reals ("weights", w, 2, 3),
                    arg_reals ("bias", b, 0, 2) };
  Layer *affine;
  bp_real y[2];

  affine = layer_new ("affine", "BP_BUILD_PLUGINDIR", 3, args, 3, 1);
  g_assert_cmpuint (affine->shape.n_out, ==, 2);
  g_assert_cmpuint (affine->shape.param_rows, ==, 2);
  g_assert_cmpuint (affine->shape.param_cols, ==, 4);
  g_assert_cmpmem (affine->P, sizeof expected, expected, sizeof expected);
  /* y = W x + b = (1 - 4 + 9 + 10, 0.5 + 0.5 - 12 - 20). */
  layer_forward (affine, 1, x, y);
  g_assert_cmpfloat (y[0], ==, 16);
  g_assert_cmpfloat (y[1], ==, -31);
  layer_free (affine);

  affine = layer_new ("affine", "BP_BUILD_PLUGINDIR", 3, args, 2, 1);
  g_assert_cmpmem (affine->P, sizeof expected_no_bias, expected_no_bias,
                   sizeof expected_no_bias);
  layer_free (affine);
}

static bp_real *
affine_P (const char *init, guint32 seed, size_t n_in, size_t units)
{
  BpArg args[2] = { arg_int ("units", (gint64) units),
                    arg_string ("init", init) };
  Layer *affine = layer_new ("affine", "BP_BUILD_PLUGINDIR", n_in, args, 2,
                             seed);
  bp_real *P = g_steal_pointer (&affine->P);

  layer_free (affine);
  return P;
}

static void
test_affine_init (void)
{
  size_t d = 5, units = 4, size = units * (d + 1) * sizeof (bp_real);
  g_autofree bp_real *he1 = affine_P ("he", 99, d, units);
  g_autofree bp_real *he2 = affine_P ("he", 99, d, units);
  g_autofree bp_real *he3 = affine_P ("he", 100, d, units);
  g_autofree bp_real *def = NULL;
  g_autofree bp_real *xavier = affine_P ("xavier", 99, d, units);
  g_autofree bp_real *uniform = affine_P ("uniform", 99, d, units);
  g_autofree bp_real *zeros = affine_P ("zeros", 99, d, units);
  BpArg units_only = arg_int ("units", (gint64) units);
  Layer *layer;
  double xavier_bound = sqrt (6.0 / (double) (d + units));
  double uniform_bound = 1 / sqrt ((double) d);
  guint nonzero_bias = 0;

  /* Same seed, same P to the bit; another seed, another P. */
  g_assert_cmpmem (he1, size, he2, size);
  g_assert_cmpint (memcmp (he1, he3, size), !=, 0);

  /* he is the default. */
  layer = layer_new ("affine", "BP_BUILD_PLUGINDIR", d, &units_only, 1, 99);
  def = g_steal_pointer (&layer->P);
  layer_free (layer);
  g_assert_cmpmem (def, size, he1, size);

  for (size_t k = 0; k < units; k++)
    {
      for (size_t j = 0; j < d; j++)
        {
          g_assert_cmpfloat (fabs (xavier[k * (d + 1) + j]), <=,
                             xavier_bound);
          g_assert_cmpfloat (fabs (uniform[k * (d + 1) + j]), <=,
                             uniform_bound);
          g_assert_cmpfloat (he1[k * (d + 1) + j], !=, 0);
        }
      /* he and xavier start b at 0; uniform draws b like W. */
      g_assert_cmpfloat (he1[k * (d + 1) + d], ==, 0);
      g_assert_cmpfloat (xavier[k * (d + 1) + d], ==, 0);
      g_assert_cmpfloat (fabs (uniform[k * (d + 1) + d]), <=, uniform_bound);
      nonzero_bias += uniform[k * (d + 1) + d] != 0;
    }
  g_assert_cmpuint (nonzero_bias, >, 0);
  for (size_t i = 0; i < units * (d + 1); i++)
    g_assert_cmpfloat (zeros[i], ==, 0);
}

/* ---- 7. The chains of sections 2 and 3 ---------------------------------- */

static void
test_power_values (void)
{
  const double e23[2] = { 2, 3 };
  const bp_real x[2] = { 1.5, 2 }, g[2] = { 1, 1 };
  BpArg exponents = arg_reals ("exponents", e23, 0, 2);
  Layer *power = layer_new ("power", "BP_BUILD_PLUGINDIR", 2, &exponents,
                            1, 1);
  bp_real y[2], J[4], g_in[2];

  g_assert_cmpstr (power->d->params[0].name, ==, "exponents");
  g_assert_cmpint (power->d->params[0].type, ==, BP_ARG_REALS);
  g_assert_cmpuint (power->d->output_flags, ==, 0);

  /* (1.5^2, 2^3) and diag(2 * 1.5, 3 * 2^2), exactly. */
  layer_forward (power, 1, x, y);
  g_assert_cmpfloat (y[0], ==, 2.25);
  g_assert_cmpfloat (y[1], ==, 8);
  power->d->jacobian (power->state, NULL, x, y, J);
  g_assert_cmpfloat (J[0], ==, 3);
  g_assert_cmpfloat (J[1], ==, 0);
  g_assert_cmpfloat (J[2], ==, 0);
  g_assert_cmpfloat (J[3], ==, 12);
  power->d->jacobian_product (power->state, NULL, 1, x, y, g, g_in);
  g_assert_cmpfloat (g_in[0], ==, 3);
  g_assert_cmpfloat (g_in[1], ==, 12);
  layer_free (power);
}

static void
test_power_errors (void)
{
  const double e3[3] = { 1, 2, 3 }, e22[4] = { 1, 2, 3, 4 };
  BpArg arg;

  arg = arg_reals ("exponents", e3, 0, 3);
  assert_layer_init_error ("power", &arg, 1, 2,
                           "exponents has 3 numbers; the layer has 2 inputs",
                           "exponents");
  arg = arg_reals ("exponents", e3, 0, 1);
  assert_layer_init_error ("power", &arg, 1, 2,
                           "exponents has 1 number; the layer has 2 inputs",
                           "exponents");
  arg = arg_reals ("exponents", e22, 2, 2);
  assert_layer_init_error ("power", &arg, 1, 4,
                           "exponents must be a flat list, got a 2 x 2 list "
                           "of lists", "exponents");
  assert_layer_init_error ("power", NULL, 0, 2,
                           "exponents is required (one per input)", NULL);
}

/* Dropout: the identity in evaluation; while training each entry is kept
 * and scaled by 1 / (1 - rate), or zeroed, the same way for the same seed,
 * and its explicit jacobian (found row by row) and fast form follow the
 * mask drawn. */
static void
test_dropout (void)
{
  enum { ROWS = 4, N = 50 };
  const BpArg args[] = { { .name = "rate", .type = BP_ARG_REAL,
                           .real = 0.25 } };
  const BpArg bad[] = { { .name = "rate", .type = BP_ARG_REAL, .real = 1 } };
  Layer *drop = layer_new ("dropout", "BP_BUILD_PLUGINDIR", N, args, 1, 1);
  Layer *twin = layer_new ("dropout", "BP_BUILD_PLUGINDIR", N, args, 1, 1);
  GRand *rng = g_rand_new_with_seed (7), *same = g_rand_new_with_seed (7);
  bp_real X[ROWS * N], Y[ROWS * N], Y_twin[ROWS * N], G[ROWS * N];
  bp_real G_in[ROWS * N], J[N * N];
  const bp_real keep = (bp_real) (1.0 / 0.75);
  BpLayerShape shape;
  BpError err;
  void *state = NULL;
  gsize zeros = 0;

  for (gsize j = 0; j < ROWS * N; j++)
    {
      X[j] = 0.5 + 0.01 * (double) j;
      G[j] = 1.0 - 0.003 * (double) j;
    }

  /* Evaluation: y = x exactly. */
  drop->d->forward (drop->state, NULL, ROWS, X, Y);
  g_assert_cmpmem (X, sizeof X, Y, sizeof Y);

  /* Training: every entry zeroed or scaled; about a quarter zeroed. */
  drop->d->forward_train (drop->state, NULL, ROWS, X, Y, rng);
  for (gsize j = 0; j < ROWS * N; j++)
    {
      zeros += Y[j] == 0;
      if (Y[j] != 0)
        g_assert_cmpfloat (Y[j], ==, X[j] * keep);
    }
  g_assert_cmpuint (zeros, >, 25);
  g_assert_cmpuint (zeros, <, 75);

  /* The explicit jacobian of each row is diag of its gains, and the fast
   * form applies the same gains. */
  drop->d->jacobian_product (drop->state, NULL, ROWS, X, Y, G, G_in);
  for (gsize r = 0; r < ROWS; r++)
    {
      drop->d->jacobian (drop->state, NULL, X + r * N, Y + r * N, J);
      for (gsize k = 0; k < N; k++)
        for (gsize j = 0; j < N; j++)
          {
            bp_real gain = Y[r * N + k] == 0 ? 0 : keep;

            g_assert_cmpfloat (J[k * N + j], ==, k == j ? gain : 0);
          }
      for (gsize k = 0; k < N; k++)
        g_assert_cmpfloat (G_in[r * N + k], ==, G[r * N + k] * J[k * N + k]);
    }

  /* The same seed draws the same mask. */
  twin->d->forward_train (twin->state, NULL, ROWS, X, Y_twin, same);
  g_assert_cmpmem (Y, sizeof Y, Y_twin, sizeof Y_twin);

  /* After an evaluation pass the jacobian is the identity again. */
  drop->d->forward (drop->state, NULL, ROWS, X, Y);
  drop->d->jacobian (drop->state, NULL, X, Y, J);
  for (gsize k = 0; k < N; k++)
    g_assert_cmpfloat (J[k * N + k], ==, 1);

  g_assert_cmpint (layer_try_init (drop->d, N, bad, 1, 1, &state, &shape,
                                   &err), ==, -1);
  g_assert_cmpstr (err.message, ==,
                   "rate must be at least 0 and below 1, got 1");
  g_assert_cmpstr (err.param, ==, "rate");

  g_rand_free (rng);
  g_rand_free (same);
  layer_free (drop);
  layer_free (twin);
}

static void
test_sum_values (void)
{
  Layer *sum = layer_new ("sum", "BP_BUILD_PLUGINDIR", 3, NULL, 0, 1);
  const bp_real x[6] = { 0.1, 0.2, 0.3, 0.3, 0.2, 0.1 }, g[2] = { 2, -1 };
  bp_real y[2], J[3], g_in[6];

  /* Added in index order: (0.1 + 0.2) + 0.3, which differs from
   * 0.1 + (0.2 + 0.3) in its last bit. */
  layer_forward (sum, 2, x, y);
  g_assert_cmpfloat (y[0], ==, (0.1 + 0.2) + 0.3);
  g_assert_cmpfloat (y[1], ==, (0.3 + 0.2) + 0.1);
  sum->d->jacobian (sum->state, NULL, x, y, J);
  for (size_t j = 0; j < 3; j++)
    g_assert_cmpfloat (J[j], ==, 1);
  sum->d->jacobian_product (sum->state, NULL, 2, x, y, g, g_in);
  for (size_t j = 0; j < 3; j++)
    {
      g_assert_cmpfloat (g_in[j], ==, 2);
      g_assert_cmpfloat (g_in[3 + j], ==, -1);
    }
  layer_free (sum);
}

static void
test_target (void)
{
  g_autoptr (BpLoadedPlugin) plugin = load ("target", "BP_BUILD_PLUGINDIR");
  BpLossConfig config = { .n_out = 3 };
  BpError err = { { 0 }, NULL };
  void *state = NULL;
  Loss *target = loss_new ("target", 1);
  const bp_real sigma[2] = { 9, 7 }, f[2] = { 8, 8 };
  bp_real M[1] = { NAN };

  g_assert_cmpuint (target->d->input_flags, ==, 0);
  g_assert_null (target->d->fused_partner);
  g_assert_cmpstr (target->d->description, ==,
                   "the residual sigma - f, for solving a chain's input "
                   "(the paper's sections 2 and 3)");

  /* Signed: 9 - 8 = 1, and (9 - 8) + (7 - 8) = 0. */
  g_assert_cmpfloat (target->d->loss_value (target->state, 1, sigma, f), ==,
                     1);
  g_assert_cmpfloat (target->d->loss_value (target->state, 2, sigma, f), ==,
                     0);
  g_assert_cmpfloat (target->d->loss_value (target->state, 1, sigma + 1,
                                            f + 1), ==, -1);
  target->d->loss_gradient (target->state, sigma, f, M);
  g_assert_cmpfloat (M[0], ==, 1);
  loss_free (target);

  g_assert_cmpint (plugin->desc->loss_init (&config, &state, &err), ==, -1);
  g_assert_cmpstr (err.message, ==, "target needs a single output, got 3");
  g_assert_null (err.param);
}

/* The paper's Examples 2 and 3 with the plugins' values and derivatives,
 * to the bit of NOTES.md's reconstructions. */
static void
test_paper_chains (void)
{
  const double e3[1] = { 3 }, e2[1] = { 2 }, e23[2] = { 2, 3 };
  BpArg a3 = arg_reals ("exponents", e3, 0, 1);
  BpArg a2 = arg_reals ("exponents", e2, 0, 1);
  BpArg a23 = arg_reals ("exponents", e23, 0, 2);
  Layer *cube = layer_new ("power", "BP_BUILD_PLUGINDIR", 1, &a3, 1, 1);
  Layer *square = layer_new ("power", "BP_BUILD_PLUGINDIR", 1, &a2, 1, 1);
  Layer *powers = layer_new ("power", "BP_BUILD_PLUGINDIR", 2, &a23, 1, 1);
  Layer *sum = layer_new ("sum", "BP_BUILD_PLUGINDIR", 2, NULL, 0, 1);
  Loss *target = loss_new ("target", 1);
  const bp_real f_star = 8, three = 3, eta = 1e-5;
  bp_real t = 1, phi, f, dphi, df;
  bp_real xy[2] = { 1, 1 }, p[2], sigma, M, g[2], g_in[2];

  /* Example 2: t <- t + (1 / phi'(t)) (f* - f) / f'(phi), 8 updates. */
  for (int step = 0; step < 8; step++)
    {
      layer_forward (cube, 1, &t, &phi);
      layer_forward (square, 1, &phi, &f);
      cube->d->jacobian (cube->state, NULL, &t, &phi, &dphi);
      square->d->jacobian (square->state, NULL, &phi, &f, &df);
      t = t + (1 / dphi) * (f_star - f) / df;
    }
  layer_forward (cube, 1, &t, &phi);
  layer_forward (square, 1, &phi, &f);
  g_assert_cmpfloat (t, ==, 1.4142135623730951);
  g_assert_cmpfloat (f, ==, 8.000000000000004);

  /* Example 3: 10000 steps (x, y) <- (x, y) + eta s (2x, 3y^2), s = +1
   * while x^2 + y^3 < 3; the gradient is M carried back through sum and
   * power. */
  for (int step = 0; step < 10000; step++)
    {
      double s;

      layer_forward (powers, 1, xy, p);
      layer_forward (sum, 1, p, &sigma);
      s = target->d->loss_value (target->state, 1, &sigma, &three) < 0
          ? 1 : -1;
      target->d->loss_gradient (target->state, &sigma, &three, &M);
      sum->d->jacobian_product (sum->state, NULL, 1, p, &sigma, &M, g);
      powers->d->jacobian_product (powers->state, NULL, 1, xy, p, g, g_in);
      xy[0] = xy[0] + eta * s * g_in[0];
      xy[1] = xy[1] + eta * s * g_in[1];
    }
  layer_forward (powers, 1, xy, p);
  layer_forward (sum, 1, p, &sigma);
  g_assert_cmpfloat (xy[0], ==, 1.1197192676622458);
  g_assert_cmpfloat (xy[1], ==, 1.2042530081873657);
  g_assert_cmpfloat (sigma, ==, 3.000209427755353);

  layer_free (cube);
  layer_free (square);
  layer_free (powers);
  layer_free (sum);
  loss_free (target);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plugins/softmax/example4", test_softmax_example4);
  g_test_add_func ("/plugins/jacobian/finite-differences", test_jacobians);
  g_test_add_func ("/plugins/affine/local-L", test_affine_local_L);
  g_test_add_func ("/plugins/fast-forms", test_fast_forms);
  g_test_add_func ("/plugins/softsign/minimal", test_softsign_minimal);
  g_test_add_func ("/plugins/extreme-inputs", test_extreme_inputs);
  g_test_add_func ("/plugins/loss/gradients", test_loss_gradients);
  g_test_add_func ("/plugins/loss/fused", test_fused_gradient);
  g_test_add_func ("/plugins/loss/values", test_loss_values);
  g_test_add_func ("/plugins/affine/errors", test_affine_errors);
  g_test_add_func ("/plugins/affine/explicit", test_affine_explicit);
  g_test_add_func ("/plugins/affine/init", test_affine_init);
  g_test_add_func ("/plugins/power/values", test_power_values);
  g_test_add_func ("/plugins/power/errors", test_power_errors);
  g_test_add_func ("/plugins/sum/values", test_sum_values);
  g_test_add_func ("/plugins/dropout", test_dropout);
  g_test_add_func ("/plugins/target", test_target);
  g_test_add_func ("/plugins/chain/paper-examples", test_paper_chains);

  return g_test_run ();
}
