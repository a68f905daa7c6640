/* The logistic function y = 1 / (1 + exp(-x)), applied to each input: the
 * one-output form of a two-output softmax (the paper's section 4), with
 * outputs in (0, 1) for binary_cross_entropy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n_in, n_out;
  const BpHost *host;
} Logistic;

static int
logistic_init (const BpLayerConfig *config, void **state,
               BpLayerShape *shape, BpError *err)
{
  Logistic *self = malloc (sizeof *self);

  if (self == NULL)
    {
      snprintf (err->message, sizeof err->message, "out of memory");
      err->param = NULL;
      return -1;
    }
  self->n_in = self->n_out = config->n_in;
  self->host = config->host;
  shape->n_out = config->n_in;
  shape->param_rows = shape->param_cols = 0;
  *state = self;
  return 0;
}

/* y = 1 / (1 + exp(-x)); for x < 0 as exp(x) / (1 + exp(x)), so that exp
 * never overflows and a very negative x keeps its tiny y instead of 0. */
static void
logistic_forward (void *state, const bp_real *P, size_t n,
                  const bp_real *X, bp_real *Y)
{
  Logistic *self = state;

  (void) P;
  for (size_t i = 0; i < n * self->n_in; i++)
    {
      if (X[i] >= 0)
        Y[i] = 1 / (1 + exp (-X[i]));
      else
        {
          bp_real e = exp (X[i]);

          Y[i] = e / (1 + e);
        }
    }
}

/* J = diag(y_k (1 - y_k)). */
static void
logistic_jacobian (void *state, const bp_real *P, const bp_real *x,
                   const bp_real *y, bp_real *J)
{
  Logistic *self = state;
  size_t d = self->n_in;

  (void) P;
  (void) x;
  for (size_t k = 0; k < d; k++)
    for (size_t j = 0; j < d; j++)
      J[k * d + j] = j == k ? y[k] * (1 - y[k]) : 0;
}

/* G_in = G diag(y (1 - y)). */
static void
logistic_jacobian_product (void *state, const bp_real *P, size_t n,
                           const bp_real *X, const bp_real *Y,
                           const bp_real *G, bp_real *G_in)
{
  Logistic *self = state;

  (void) P;
  (void) X;
  for (size_t i = 0; i < n * self->n_in; i++)
    G_in[i] = G[i] * (Y[i] * (1 - Y[i]));
}

static const BpPlugin logistic_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "logistic",
  .description = "y = 1 / (1 + exp(-x)) for each input",
  .params = NULL,
  .layer_init = logistic_init,
  .fini = free,
  .forward = logistic_forward,
  .jacobian = logistic_jacobian,
  .jacobian_product = logistic_jacobian_product,
  .output_flags = BP_OUTPUT_UNIT_INTERVAL,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &logistic_plugin;
}
