/* The affine layer y = W x + b, the paper's A x + Lambda and B phi + Xi.
 * Its parameter matrix P is the paper's [W | b]: row k is [w_k1 ... w_kd
 * b_k], so that output k depends on row k alone.
 */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpframe/plugin.h"

/* In the order of init_names. */
typedef enum {
  INIT_HE, INIT_XAVIER, INIT_UNIFORM, INIT_ZEROS, N_INITS
} InitKind;

static const char *const init_names[N_INITS] = { "he", "xavier", "uniform",
                                                 "zeros" };

typedef struct {
  size_t n_in, n_out;
  const BpHost *host;
  InitKind init; /* how init_params fills P without explicit weights */
} Affine;

static const BpParamSpec affine_params[] = {
  { "units", BP_ARG_INT, "width of y, at least 1 (required)" },
  { "init", BP_ARG_STRING,
    "he (default), xavier, uniform or zeros; he and xavier zero the bias" },
  { "weights", BP_ARG_REALS,
    "explicit W, a units x inputs list of lists (excludes init)" },
  { "bias", BP_ARG_REALS,
    "explicit b, a list of units numbers, only with weights (default 0)" },
  { NULL, 0, NULL }
};

#if defined(__GNUC__)
__attribute__ ((format (printf, 3, 4)))
#endif
static int
fail (BpError *err, const char *param, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  vsnprintf (err->message, sizeof err->message, format, args);
  va_end (args);
  err->param = param;
  return -1;
}

static const BpArg *
find_arg (const BpLayerConfig *config, const char *name)
{
  for (size_t i = 0; i < config->n_args; i++)
    if (strcmp (config->args[i].name, name) == 0)
      return &config->args[i];
  return NULL;
}

/* Uniform on [-a, a) from the host's uniform on [0, 1). */
static double
symmetric (const BpLayerConfig *config, double a)
{
  return a * (2 * config->host->random_uniform (config->rng) - 1);
}

/* Draws row by row, bias last in each row, so that a seed always gives the
 * same P. he and xavier keep b = 0 (their scales are for W's fan-in);
 * uniform draws b too, giving every parameter of the row the same law. */
static void
draw_params (const BpLayerConfig *config, InitKind kind, bp_real *P,
             size_t units)
{
  size_t d = config->n_in;
  double he = sqrt (2.0 / (double) d);
  double xavier = sqrt (6.0 / (double) (d + units));
  double uniform = 1.0 / sqrt ((double) d);

  for (size_t k = 0; k < units; k++)
    {
      bp_real *row = P + k * (d + 1);

      for (size_t j = 0; j < d; j++)
        switch (kind)
          {
          case INIT_HE:
            row[j] = he * config->host->random_normal (config->rng);
            break;
          case INIT_XAVIER:
            row[j] = symmetric (config, xavier);
            break;
          case INIT_UNIFORM:
            row[j] = symmetric (config, uniform);
            break;
          case INIT_ZEROS:
          default:
            row[j] = 0;
            break;
          }
      row[d] = kind == INIT_UNIFORM ? symmetric (config, uniform) : 0;
    }
}

static int
affine_init (const BpLayerConfig *config, void **state, BpLayerShape *shape,
             BpError *err)
{
  const BpArg *units_arg = find_arg (config, "units");
  const BpArg *init_arg = find_arg (config, "init");
  const BpArg *weights = find_arg (config, "weights");
  const BpArg *bias = find_arg (config, "bias");
  InitKind kind = INIT_HE;
  size_t d = config->n_in, units;
  Affine *self;

  /* Check every parameter before allocating, so that a failure leaves
   * nothing behind. */
  if (d == 0)
    return fail (err, NULL, "affine needs at least one input, got 0");
  if (units_arg == NULL)
    return fail (err, NULL, "units is required (the width of y)");
  if (units_arg->type != BP_ARG_INT)
    return fail (err, "units", "units must be an integer");
  if (units_arg->integer < 1)
    return fail (err, "units", "units must be at least 1, got %lld",
                 (long long) units_arg->integer);
  if ((uint64_t) units_arg->integer
      > SIZE_MAX / sizeof (bp_real) / (d + 1))
    return fail (err, "units", "units is too large, got %lld",
                 (long long) units_arg->integer);
  units = (size_t) units_arg->integer;

  if (init_arg != NULL)
    {
      size_t i;

      if (weights != NULL)
        return fail (err, "init",
                     "init and weights exclude each other; give one");
      if (init_arg->type != BP_ARG_STRING)
        return fail (err, "init", "init must be a name");
      for (i = 0; i < N_INITS; i++)
        if (strcmp (init_arg->string, init_names[i]) == 0)
          break;
      if (i == N_INITS)
        return fail (err, "init",
                     "init must be one of he, xavier, uniform, zeros; "
                     "got '%s'", init_arg->string);
      kind = (InitKind) i;
    }

  if (weights != NULL)
    {
      if (weights->type != BP_ARG_REALS)
        return fail (err, "weights", "weights must be a list of lists");
      if (weights->rows == 0)
        return fail (err, "weights",
                     "weights must be %zu x %zu (units x inputs), got a "
                     "flat list of %zu", units, d, weights->n_reals);
      if (weights->rows != units || weights->cols != d)
        return fail (err, "weights",
                     "weights must be %zu x %zu (units x inputs), "
                     "got %zu x %zu", units, d, weights->rows,
                     weights->cols);
    }

  if (bias != NULL)
    {
      if (weights == NULL)
        return fail (err, "bias", "bias is given only with weights; "
                     "a random init sets its own bias");
      if (bias->type != BP_ARG_REALS)
        return fail (err, "bias", "bias must be a list of numbers");
      if (bias->rows != 0)
        return fail (err, "bias",
                     "bias must be a flat list of %zu numbers, got a "
                     "%zu x %zu list of lists", units, bias->rows,
                     bias->cols);
      if (bias->n_reals != units)
        return fail (err, "bias",
                     "bias must be a flat list of %zu numbers, got %zu",
                     units, bias->n_reals);
    }

  self = malloc (sizeof *self);
  if (self == NULL)
    return fail (err, NULL, "out of memory");
  self->n_in = d;
  self->n_out = units;
  self->host = config->host;
  self->init = kind;

  shape->n_out = units;
  shape->param_rows = units;
  shape->param_cols = d + 1;
  *state = self;
  return 0;
}

/* P = [W | b] from the explicit weights and bias (init checked their
 * shapes), or drawn as init asked. */
static void
affine_init_params (void *state, const BpLayerConfig *config, bp_real *P)
{
  Affine *self = state;
  const BpArg *weights = find_arg (config, "weights");
  const BpArg *bias = find_arg (config, "bias");
  size_t d = self->n_in;

  if (weights == NULL)
    {
      draw_params (config, self->init, P, self->n_out);
      return;
    }
  for (size_t k = 0; k < self->n_out; k++)
    {
      for (size_t j = 0; j < d; j++)
        P[k * (d + 1) + j] = (bp_real) weights->reals[k * d + j];
      P[k * (d + 1) + d] = bias != NULL ? (bp_real) bias->reals[k] : 0;
    }
}

/* Y = X W^T + 1 b^T: W is P without its last column, hence lda = d + 1. */
static void
affine_forward (void *state, const bp_real *P, size_t n, const bp_real *X,
                bp_real *Y)
{
  Affine *self = state;
  size_t d = self->n_in, v = self->n_out;

  self->host->gemm (BP_NO_TRANS, BP_TRANS, n, v, d, 1, X, d, P, d + 1,
                    0, Y, v);
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < v; k++)
      Y[i * v + k] += P[k * (d + 1) + d];
}

/* J = d y / d x = W. */
static void
affine_jacobian (void *state, const bp_real *P, const bp_real *x,
                 const bp_real *y, bp_real *J)
{
  Affine *self = state;
  size_t d = self->n_in;

  (void) x;
  (void) y;
  for (size_t k = 0; k < self->n_out; k++)
    memcpy (J + k * d, P + k * (d + 1), d * sizeof (bp_real));
}

/* The paper's L: row k is [x_1 ... x_d 1], d y_k / d [w_k | b_k]. */
static void
affine_local_L (void *state, const bp_real *P, const bp_real *x,
                const bp_real *y, bp_real *L)
{
  Affine *self = state;
  size_t d = self->n_in;

  (void) P;
  (void) y;
  for (size_t k = 0; k < self->n_out; k++)
    {
      memcpy (L + k * (d + 1), x, d * sizeof (bp_real));
      L[k * (d + 1) + d] = 1;
    }
}

/* grad += diag(m) L: the paper's delta[W | b] before the factor -eta. */
static void
affine_update (void *state, const bp_real *m, const bp_real *L,
               bp_real *grad)
{
  Affine *self = state;
  size_t c = self->n_in + 1;

  for (size_t k = 0; k < self->n_out; k++)
    for (size_t j = 0; j < c; j++)
      grad[k * c + j] += m[k] * L[k * c + j];
}

/* G_in = G W: each row m of G becomes m J without building J. */
static void
affine_jacobian_product (void *state, const bp_real *P, size_t n,
                         const bp_real *X, const bp_real *Y,
                         const bp_real *G, bp_real *G_in)
{
  Affine *self = state;
  size_t d = self->n_in, v = self->n_out;

  (void) X;
  (void) Y;
  self->host->gemm (BP_NO_TRANS, BP_NO_TRANS, n, d, v, 1, G, v, P, d + 1,
                    0, G_in, d);
}

/* grad += G^T [X | 1], the sum over samples of diag(m_i) L_i: the W part
 * is one GEMM into grad's first d columns, the b part G's column sums. */
static void
affine_update_batch (void *state, const bp_real *P, size_t n,
                     const bp_real *X, const bp_real *Y, const bp_real *G,
                     bp_real *grad)
{
  Affine *self = state;
  size_t d = self->n_in, v = self->n_out;

  (void) P;
  (void) Y;
  self->host->gemm (BP_TRANS, BP_NO_TRANS, v, d, n, 1, G, v, X, d,
                    1, grad, d + 1);
  for (size_t i = 0; i < n; i++)
    for (size_t k = 0; k < v; k++)
      grad[k * (d + 1) + d] += G[i * v + k];
}

static const BpPlugin affine_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "affine",
  .description = "y = W x + b, parameters [W | b]",
  .params = affine_params,
  .layer_init = affine_init,
  .fini = free,
  .forward = affine_forward,
  .jacobian = affine_jacobian,
  .local_L = affine_local_L,
  .update = affine_update,
  .jacobian_product = affine_jacobian_product,
  .update_batch = affine_update_batch,
  .output_flags = 0,
  .init_params = affine_init_params,
  /* L = [x 1] needs no W: update and update_batch never read P. */
  .layer_flags = BP_LAYER_UPDATE_INTO_P | BP_LAYER_BIAS_COLUMN,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &affine_plugin;
}
