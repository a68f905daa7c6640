/* A test-only layer proving that a new layer is one .c file: softsign
 * y = x / (1 + |x|), each input alone, with forward and jacobian only (the
 * core falls back to the explicit forms when the fast ones are missing).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n_in, n_out;
  const BpHost *host;
} Softsign;

static int
softsign_init (const BpLayerConfig *config, void **state,
               BpLayerShape *shape, BpError *err)
{
  Softsign *self = malloc (sizeof *self);

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

/* y_k = x_k / (1 + |x_k|). */
static void
softsign_forward (void *state, const bp_real *P, size_t n,
                  const bp_real *X, bp_real *Y)
{
  Softsign *self = state;

  (void) P;
  for (size_t i = 0; i < n * self->n_in; i++)
    Y[i] = X[i] / (1 + fabs (X[i]));
}

/* J = diag(1 / (1 + |x_k|)^2). */
static void
softsign_jacobian (void *state, const bp_real *P, const bp_real *x,
                   const bp_real *y, bp_real *J)
{
  Softsign *self = state;
  size_t d = self->n_in;

  (void) P;
  (void) y;
  for (size_t k = 0; k < d; k++)
    for (size_t j = 0; j < d; j++)
      {
        bp_real s = 1 + fabs (x[k]);

        J[k * d + j] = j == k ? 1 / (s * s) : 0;
      }
}

static const BpPlugin softsign_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LAYER,
  .name = "softsign",
  .description = "y = x / (1 + |x|) for each input (test plugin)",
  .layer_init = softsign_init,
  .fini = free,
  .forward = softsign_forward,
  .jacobian = softsign_jacobian,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &softsign_plugin;
}
