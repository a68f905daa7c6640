/* The softmax S(x)_p = exp(x_p) / sum_k exp(x_k) of the paper's section 4:
 * the outputs form a distribution, for cross_entropy (with which the core
 * fuses it, section 8).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n_in, n_out;
  const BpHost *host;
} Softmax;

static int
softmax_init (const BpLayerConfig *config, void **state,
              BpLayerShape *shape, BpError *err)
{
  Softmax *self = malloc (sizeof *self);

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

/* y_p = exp(x_p - max x) / sum_k exp(x_k - max x): shifting by the
 * maximum changes nothing mathematically and keeps exp from overflowing. */
static void
softmax_forward (void *state, const bp_real *P, size_t n, const bp_real *X,
                 bp_real *Y)
{
  Softmax *self = state;
  size_t d = self->n_in;

  (void) P;
  for (size_t i = 0; i < n; i++)
    {
      const bp_real *x = X + i * d;
      bp_real *y = Y + i * d;
      bp_real max = x[0], sum = 0;

      for (size_t k = 1; k < d; k++)
        if (x[k] > max)
          max = x[k];
      for (size_t k = 0; k < d; k++)
        {
          y[k] = exp (x[k] - max);
          sum += y[k];
        }
      for (size_t k = 0; k < d; k++)
        y[k] /= sum;
    }
}

/* J[p][k] = d y_p / d x_k = y_p (delta_pk - y_k), the paper's D. */
static void
softmax_jacobian (void *state, const bp_real *P, const bp_real *x,
                  const bp_real *y, bp_real *J)
{
  Softmax *self = state;
  size_t d = self->n_in;

  (void) P;
  (void) x;
  for (size_t p = 0; p < d; p++)
    for (size_t k = 0; k < d; k++)
      J[p * d + k] = y[p] * ((p == k ? 1 : 0) - y[k]);
}

/* m J = y * (m - (m . y)) elementwise: O(d) per sample instead of O(d^2). */
static void
softmax_jacobian_product (void *state, const bp_real *P, size_t n,
                          const bp_real *X, const bp_real *Y,
                          const bp_real *G, bp_real *G_in)
{
  Softmax *self = state;
  size_t d = self->n_in;

  (void) P;
  (void) X;
  for (size_t i = 0; i < n; i++)
    {
      const bp_real *y = Y + i * d, *g = G + i * d;
      bp_real dot = 0;

      for (size_t k = 0; k < d; k++)
        dot += g[k] * y[k];
      for (size_t k = 0; k < d; k++)
        G_in[i * d + k] = y[k] * (g[k] - dot);
    }
}

static const BpPlugin softmax_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "softmax",
  .description = "y_p = exp(x_p) / sum_k exp(x_k)",
  .params = NULL,
  .layer_init = softmax_init,
  .fini = free,
  .forward = softmax_forward,
  .jacobian = softmax_jacobian,
  .jacobian_product = softmax_jacobian_product,
  .output_flags = BP_OUTPUT_DISTRIBUTION | BP_OUTPUT_UNIT_INTERVAL,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &softmax_plugin;
}
