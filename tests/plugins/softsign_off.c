/* A deliberately wrong layer for `bpframe check`: softsign y = x / (1 + |x|)
 * whose jacobian is 1.01 times the true one, the 1% error a gradient
 * checker must catch. Otherwise the minimal shape of tests/softsign.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpframe/plugin.h"

#define ERROR_FACTOR 1.01

typedef struct {
  size_t n;
} SoftsignOff;

static int
softsign_off_init (const BpLayerConfig *config, void **state,
                   BpLayerShape *shape, BpError *err)
{
  SoftsignOff *self = malloc (sizeof *self);

  if (self == NULL)
    {
      snprintf (err->message, sizeof err->message, "out of memory");
      err->param = NULL;
      return -1;
    }
  self->n = config->n_in;
  shape->n_out = config->n_in;
  shape->param_rows = shape->param_cols = 0;
  *state = self;
  return 0;
}

/* y_k = x_k / (1 + |x_k|), right. */
static void
softsign_off_forward (void *state, const bp_real *P, size_t n,
                      const bp_real *X, bp_real *Y)
{
  SoftsignOff *self = state;

  (void) P;
  for (size_t i = 0; i < n * self->n; i++)
    Y[i] = X[i] / (1 + fabs (X[i]));
}

/* J = 1.01 diag(1 / (1 + |x_k|)^2): wrong by 1% on purpose. */
static void
softsign_off_jacobian (void *state, const bp_real *P, const bp_real *x,
                       const bp_real *y, bp_real *J)
{
  SoftsignOff *self = state;
  size_t d = self->n;

  (void) P;
  (void) y;
  for (size_t k = 0; k < d; k++)
    for (size_t j = 0; j < d; j++)
      {
        bp_real s = 1 + fabs (x[k]);

        J[k * d + j] = j == k ? ERROR_FACTOR / (s * s) : 0;
      }
}

static const BpPlugin softsign_off_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "softsign_off",
  .description = "softsign with its jacobian 1% too large (test plugin)",
  .layer_init = softsign_off_init,
  .fini = free,
  .forward = softsign_off_forward,
  .jacobian = softsign_off_jacobian,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &softsign_off_plugin;
}
