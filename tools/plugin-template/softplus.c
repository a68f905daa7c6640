/* The softplus activation y = log(1 + e^(beta x)) / beta, a smooth relu,
 * applied to each input: a complete bpframe layer plugin built out of
 * tree, to copy and rename. It includes bpframe/plugin.h and nothing else
 * of bpframe's.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpframe/plugin.h>

/* One instance per layer of a graph: what init learnt. Nothing global
 * and nothing mutable after init, so that instances never interfere. */
typedef struct {
  size_t n;    /* n_in == n_out */
  double beta; /* > 0 */
} Softplus;

static const BpParamSpec softplus_params[] = {
  { "beta", BP_ARG_REAL,
    "sharpness, greater than 0 (default 1); y -> relu(x) as beta grows" },
  { NULL, 0, NULL }
};

/* The graph's parameters arrive checked for their names and types (and
 * a number for being finite); their values are the plugin's to check, and
 * their defaults the plugin's to set. An error names its parameter, so
 * that bpframe points at that value's line and column in the graph
 * file. */
static int
softplus_init (const BpLayerConfig *config, void **state,
               BpLayerShape *shape, BpError *err)
{
  double beta = 1.0;
  Softplus *self;

  for (size_t i = 0; i < config->n_args; i++)
    if (strcmp (config->args[i].name, "beta") == 0)
      beta = config->args[i].real;
  if (!(beta > 0))
    {
      snprintf (err->message, sizeof err->message,
                "beta must be greater than 0, got %g", beta);
      err->param = "beta";
      return -1;
    }

  self = malloc (sizeof *self);
  if (self == NULL)
    {
      snprintf (err->message, sizeof err->message, "out of memory");
      err->param = NULL;
      return -1;
    }
  self->n = config->n_in;
  self->beta = beta;
  shape->n_out = config->n_in;
  shape->param_rows = shape->param_cols = 0;
  *state = self;
  return 0;
}

/* log(1 + e^t) as max(t, 0) + log1p(e^-|t|): e^-|t| is at most 1, so
 * nothing overflows for a large t (where log(1 + e^t) gives inf), and
 * log1p keeps the tiny value e^t for a very negative t (where
 * log(1 + e^t) rounds to 0). */
static double
log1p_exp (double t)
{
  return fmax (t, 0.0) + log1p (exp (-fabs (t)));
}

/* The logistic function 1 / (1 + e^-t), the derivative of log1p_exp,
 * without overflow on either side. */
static double
logistic (double t)
{
  double e = exp (-fabs (t));

  return t >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
}

/* Y = softplus(X) for the n rows of the batch, element by element. */
static void
softplus_forward (void *state, const bp_real *P, size_t n,
                  const bp_real *X, bp_real *Y)
{
  const Softplus *self = state;

  (void) P;
  for (size_t i = 0; i < n * self->n; i++)
    Y[i] = (bp_real) (log1p_exp (self->beta * X[i]) / self->beta);
}

/* The paper's J_phi(y) for this phi: d y_k / d x_j = logistic(beta x_k)
 * when j == k, else 0. Every entry is written. */
static void
softplus_jacobian (void *state, const bp_real *P, const bp_real *x,
                   const bp_real *y, bp_real *J)
{
  const Softplus *self = state;
  size_t d = self->n;

  (void) P;
  (void) y;
  for (size_t k = 0; k < d; k++)
    for (size_t j = 0; j < d; j++)
      J[k * d + j] = j == k ? (bp_real) logistic (self->beta * x[k]) : 0;
}

/* The fast form, optional: each row m of G times the diagonal J, that is
 * G_in = G .* logistic(beta X), in O(n d) instead of O(n d^2). */
static void
softplus_jacobian_product (void *state, const bp_real *P, size_t n,
                           const bp_real *X, const bp_real *Y,
                           const bp_real *G, bp_real *G_in)
{
  const Softplus *self = state;

  (void) P;
  (void) Y;
  for (size_t i = 0; i < n * self->n; i++)
    G_in[i] = G[i] * (bp_real) logistic (self->beta * X[i]);
}

static const BpPlugin softplus_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "softplus",
  .description = "y = log(1 + exp(beta x)) / beta for each input",
  .params = softplus_params,
  .layer_init = softplus_init,
  .fini = free,
  .forward = softplus_forward,
  .jacobian = softplus_jacobian,
  .jacobian_product = softplus_jacobian_product,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &softplus_plugin;
}
