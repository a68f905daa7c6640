/* The mean squared error 1/v sum_k (sigma_k - f_k)^2 over the v outputs,
 * for any output layer (regression).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bpframe/plugin.h"

typedef struct {
  size_t n_out;
} Mse;

static int
mse_init (const BpLossConfig *config, void **state, BpError *err)
{
  Mse *self = malloc (sizeof *self);

  if (self == NULL)
    {
      snprintf (err->message, sizeof err->message, "out of memory");
      err->param = NULL;
      return -1;
    }
  self->n_out = config->n_out;
  *state = self;
  return 0;
}

/* sum over samples of 1/v sum_k (sigma_k - f_k)^2. */
static double
mse_value (void *state, size_t n, const bp_real *sigma, const bp_real *F)
{
  Mse *self = state;
  double total = 0;

  for (size_t i = 0; i < n * self->n_out; i++)
    {
      double e = sigma[i] - F[i];

      total += e * e;
    }
  return total / (double) self->n_out;
}

/* M_k = 2/v (sigma_k - f_k). */
static void
mse_gradient (void *state, const bp_real *sigma, const bp_real *f,
              bp_real *M)
{
  Mse *self = state;
  bp_real scale = 2 / (bp_real) self->n_out;

  for (size_t k = 0; k < self->n_out; k++)
    M[k] = scale * (sigma[k] - f[k]);
}

static const BpPlugin mse_plugin = {
  .abi_version = BP_ABI_VERSION,
  .struct_size = sizeof (BpPlugin),
  .real_size = sizeof (bp_real),
  .kind = BP_KIND_LOSS,
  .name = "mse",
  .description = "1/v sum_k (sigma_k - f_k)^2",
  .params = NULL,
  .loss_init = mse_init,
  .fini = free,
  .loss_value = mse_value,
  .loss_gradient = mse_gradient,
  .input_flags = 0,
};

BP_PLUGIN_EXPORT const BpPlugin *
bp_plugin_entry (void)
{
  return &mse_plugin;
}
